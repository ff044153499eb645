import { UnknownNameError, ValidationError } from '../../util/errors.ts';
import type { Verifier } from './types.ts';

/**
 * Name -> verifier. An unknown name fails listing the known ones; registering a taken name fails.
 * The default registry (`defaultVerifiers()` in `./index.ts`) holds every built-in verifier.
 */
export class VerifierRegistry {
  readonly #byName = new Map<string, Verifier<unknown>>();

  register<P>(verifier: Verifier<P>): this {
    if (this.#byName.has(verifier.name)) {
      throw new ValidationError(`verifier '${verifier.name}' is already registered`);
    }
    this.#byName.set(verifier.name, verifier as Verifier<unknown>);
    return this;
  }

  // Verifiers differ in parameter type, which is invariant in Verifier<P>; `any` erases it here
  // because the registry only calls `verify` with parameters its own `params` schema parsed.
  // biome-ignore lint/suspicious/noExplicitAny: type erasure at the registry boundary
  registerAll(verifiers: readonly Verifier<any>[]): this {
    for (const v of verifiers) this.register(v as Verifier<unknown>);
    return this;
  }

  get(name: string): Verifier<unknown> {
    const v = this.#byName.get(name);
    if (v === undefined) throw new UnknownNameError('verifier', name, this.names());
    return v;
  }

  has(name: string): boolean {
    return this.#byName.has(name);
  }

  names(): string[] {
    return [...this.#byName.keys()].sort();
  }
}
