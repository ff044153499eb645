import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emitModel } from '../../graph/onnx/model.ts';
import { createRng } from '../../graph/random.ts';
import { createSession } from '../../graph/runtime.ts';
import { saveCheckpoint } from '../../engine/checkpoint.ts';
import { initLoraState, type LoraState, loraFeeds } from '../../engine/lora-state.ts';
import type { LlamaConfig, ModelSource } from '../../models/config.ts';
import { buildGenerationGraph } from '../../models/llama/generation-graph.ts';
import { LoraConfigSchema, type LoraConfig } from '../../models/llama/lora.ts';
import { promptLogits } from '../../models/llama/testing/generation-runner.ts';
import { randomWeights, tinyConfig, writeModelGguf } from '../../models/llama/testing/tiny-llama.ts';
import { loadWeights } from '../../models/llama/weights.ts';

/**
 * A tiny random model written as an F32 GGUF (260-token byte vocabulary, so llama.cpp loads it)
 * and a checkpoint folder of adapters that move its logits by whole units: A as training starts
 * it, B random (a fresh adapter's B is zero and would make every export test pass trivially).
 */
export interface ExportFixture {
  dir: string;
  config: LlamaConfig;
  modelPath: string;
  checkpointDir: string;
  lora: LoraState;
  dispose(): Promise<void>;
}

export async function writeExportFixture(
  options: {
    architecture?: 'llama' | 'qwen2' | 'qwen3';
    /** Dimensions that differ from the tiny model's (a model the adapters do not fit). */
    dims?: Partial<Pick<LlamaConfig, 'ffnSize' | 'numLayers'>>;
    lora?: Partial<LoraConfig>;
    seed?: number;
  } = {},
): Promise<ExportFixture> {
  const seed = options.seed ?? 21;
  const config = { ...tinyConfig({ architecture: options.architecture ?? 'llama' }), ...options.dims };
  const dir = await mkdtemp(join(tmpdir(), 'anchorage-export-'));
  const modelPath = join(dir, 'tiny.gguf');
  const weights = randomWeights({ config, rng: createRng(seed) });
  // Scaled as writeTinyModel does: with unit-size tied embeddings, greedy decoding only repeats a token.
  const embedding = weights.get('token_embd.weight')?.data as Float32Array;
  for (let i = 0; i < embedding.length; i++) embedding[i] = Math.fround(0.3 * (embedding[i] as number));
  await writeModelGguf({ path: modelPath, config, weights });
  const lora = initLoraState({
    model: config,
    lora: LoraConfigSchema.parse({ rank: 4, alpha: 8, ...options.lora }),
    seed: seed + 1,
  });
  const rng = createRng(seed + 2);
  for (const [name, t] of lora.tensors) {
    if (!name.endsWith('.lora_b')) continue;
    for (let i = 0; i < t.length; i++) t[i] = Math.fround(0.1 * rng.normal());
  }
  const checkpointDir = join(dir, 'checkpoint');
  await saveCheckpoint({ dir: checkpointDir, trainable: lora, step: 3, metadata: { baseModel: modelPath } });
  return {
    dir,
    config,
    modelPath,
    checkpointDir,
    lora,
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * Our logits at every position of each sequence, [sequence][position][V]: the generation graph on
 * `source`'s weights, with `lora` (scale 1) when given.
 */
export async function ourLogits(options: {
  source: ModelSource;
  lora?: LoraState;
  sequences: readonly (readonly number[])[];
}): Promise<Float32Array[][]> {
  const { source, lora } = options;
  const weights = await loadWeights({ source });
  const graph = buildGenerationGraph({
    config: source.config,
    weights,
    allLogits: true,
    ...(lora === undefined ? {} : { lora: lora.config }),
  });
  const session = await createSession({ model: emitModel({ graph }) });
  try {
    const out: Float32Array[][] = [];
    for (const s of options.sequences) {
      const [rows] = await promptLogits({
        session,
        config: source.config,
        prompts: [s],
        ...(lora === undefined ? {} : { extra: loraFeeds(lora) }),
      });
      out.push(rows as Float32Array[]);
    }
    return out;
  } finally {
    await session.release();
  }
}

/** Seeded token sequences of the given lengths over a vocabulary. */
export function tokenSequences(options: {
  vocab: number;
  lengths: readonly number[];
  seed: number;
}): number[][] {
  const rng = createRng(options.seed);
  return options.lengths.map((n) => Array.from({ length: n }, () => rng.int(options.vocab)));
}
