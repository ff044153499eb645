import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRng } from '../../graph/random.ts';
import {
  ggufMetadata,
  randomWeights,
  tinyConfig,
  writeModelGguf,
} from '../../models/llama/testing/tiny-llama.ts';

/**
 * A tiny random Llama (2 layers, hidden 64, 260-token byte vocabulary) written as an F32 GGUF in a
 * temporary folder, for engine tests. The embedding (tied to the output head) is scaled by
 * `embeddingScale`: at 1 the logits are so large that sampling is nearly deterministic; around 0.3
 * the next-token distributions have an entropy of a few nats, as a trained model's do.
 */
export async function writeTinyModel(
  options: {
    seed?: number;
    embeddingScale?: number;
    /** A Jinja chat template for chat prompts (default: none, as in the other tiny tests). */
    chatTemplate?: string;
  } = {},
): Promise<{ path: string; dispose: () => Promise<void> }> {
  const config = tinyConfig();
  const weights = randomWeights({ config, rng: createRng(options.seed ?? 5) });
  const embedding = weights.get('token_embd.weight')?.data as Float32Array;
  const scale = options.embeddingScale ?? 0.3;
  for (let i = 0; i < embedding.length; i++) embedding[i] = Math.fround((embedding[i] as number) * scale);
  const dir = await mkdtemp(join(tmpdir(), 'anchorage-tiny-'));
  const path = join(dir, 'tiny.gguf');
  const metadata =
    options.chatTemplate === undefined
      ? undefined
      : new Map(ggufMetadata(config)).set('tokenizer.chat_template', {
          type: 'string',
          value: options.chatTemplate,
        });
  await writeModelGguf({ path, config, weights, ...(metadata === undefined ? {} : { metadata }) });
  return { path, dispose: () => rm(dir, { recursive: true, force: true }) };
}
