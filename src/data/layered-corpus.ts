import type { LocatedRubric } from '../rubric/corpus.ts';
import type { RubricLookup } from '../rubric/lazy-corpus.ts';

/**
 * Several rubric look-ups searched in order, for rubrics generated or written inline with prompts
 * laid over the bundled corpus. The first layer that holds an id answers; callers that must not
 * shadow ids check `findLayer` when they add a layer (see `promptRubricCorpus`).
 */
export class LayeredCorpus implements RubricLookup {
  readonly layers: readonly RubricLookup[];

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

  /** Index of the first layer holding `id`, or -1. */
  findLayer(id: string): number {
    return this.layers.findIndex((layer) => layer.get(id) !== undefined);
  }

  /** Sum of the layers' sizes (an id in two layers counts twice; used only in messages). */
  get size(): number {
    return this.layers.reduce((n, layer) => n + layer.size, 0);
  }
}
