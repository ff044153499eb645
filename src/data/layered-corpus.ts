import type { LocatedRubric } from '../rubric/corpus.ts';
import type { RubricLookup } from '../rubric/lazy-corpus.ts';

/**
 * Several rubric look-ups searched in order, for rubrics generated or written inline with prompts
 * laid over the bundled corpus. The first layer that holds an id answers; callers that must not
 * shadow ids check `findLayer` when they add a layer (see `promptRubricCorpus`).
 */
export class LayeredCorpus implements RubricLookup {
  readonly layers: readonly RubricLookup[];
  /** Id lists of the layers that can give one, read once. */
  readonly #idSets = new Map<number, Set<string>>();

  constructor(layers: readonly RubricLookup[]) {
    this.layers = layers;
  }

  get(id: string): LocatedRubric | undefined {
    for (const layer of this.layers) {
      const found = layer.get(id);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  /**
   * Whether some layer holds `id`, asking layers that can list their ids (the lazy corpus, whose
   * `get` of an unknown id parses every file) for the list instead.
   */
  has(id: string): boolean {
    return this.layers.some((layer, i) => {
      const ids = (layer as { ids?: () => string[] }).ids;
      if (ids === undefined) return layer.get(id) !== undefined;
      let known = this.#idSets.get(i);
      if (known === undefined) {
        known = new Set(ids.call(layer));
        this.#idSets.set(i, known);
      }
      return known.has(id);
    });
  }

  /** Index of the first layer holding `id`, or -1. */
  findLayer(id: string): number {
    return this.layers.findIndex((layer) => layer.get(id) !== undefined);
  }

  /** Sum of the layers' sizes (an id in two layers counts twice; used only in messages). */
  get size(): number {
    return this.layers.reduce((n, layer) => n + layer.size, 0);
  }
}
