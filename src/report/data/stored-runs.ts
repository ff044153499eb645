import type { ArtifactStore } from '../../store/store.ts';
import { ValidationError } from '../../util/errors.ts';

/** The training runs a store holds: every `runs/<id>/` with a stored configuration, sorted. */
export async function storedRunIds(store: ArtifactStore): Promise<string[]> {
  const ids = new Set<string>();
  for (const ref of await store.listRefs('runs/')) {
    const m = /^runs\/([^/]+)\/config$/.exec(ref.name);
    if (m !== null) ids.add(m[1]!);
  }
  return [...ids].sort();
}

/** A run id the store has no run for; the message names the id, the store and the runs it has. */
export class UnknownRunError extends ValidationError {
  readonly trainRunId: string;
  readonly known: readonly string[];

  constructor(options: { trainRunId: string; storeLocation: string; known: readonly string[] }) {
    const known = options.known;
    const listed =
      known.length === 0
        ? 'it holds no runs'
        : `runs there: ${known.slice(0, 50).join(', ')}${known.length > 50 ? `, and ${known.length - 50} more` : ''}`;
    super(`no training run '${options.trainRunId}' in the store at ${options.storeLocation}; ${listed}`);
    this.trainRunId = options.trainRunId;
    this.known = known;
  }
}
