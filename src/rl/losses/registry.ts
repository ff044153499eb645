import { UnknownNameError, ValidationError } from '../../util/errors.ts';

/** Definitions by name: registering a taken name fails; an unknown name fails listing the known ones. */
export class NamedRegistry<T extends { readonly name: string }> {
  private readonly byName = new Map<string, T>();

  constructor(
    /** What the entries are, for messages ("policy loss", "KL estimator"). */
    readonly kind: string,
    entries: readonly T[] = [],
  ) {
    for (const e of entries) this.register(e);
  }

  register(entry: T): void {
    if (this.byName.has(entry.name))
      throw new ValidationError(`${this.kind} '${entry.name}' is already registered`);
    this.byName.set(entry.name, entry);
  }

  get(name: string): T {
    const entry = this.byName.get(name);
    if (entry === undefined) throw new UnknownNameError(this.kind, name, this.names());
    return entry;
  }

  names(): string[] {
    return [...this.byName.keys()].sort();
  }
}
