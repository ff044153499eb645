/**
 * Decode and prefill throughput of the generation graph on the default model (SmolLM2-135M,
 * dequantised to float32), ONNX Runtime CPU, 1 intra-op thread. Prints tokens/s per variant.
 * Usage: node --import tsx src/models/llama/bench/generation.bench.ts [batch...] (default 1 8)
 */
import { emitModel } from '../../../graph/onnx/model.ts';
import { createRng } from '../../../graph/random.ts';
import { createSession } from '../../../graph/runtime.ts';
import { tensor } from '../../../graph/tensor.ts';
import { requireDefaultModel } from '../../default-model.ts';
import { openGgufModel } from '../../gguf/gguf-source.ts';
import { buildGenerationGraph } from '../generation-graph.ts';
import { initLora, LoraConfigSchema } from '../lora.ts';
import { greedyGenerate } from '../testing/generation-runner.ts';
import { loadWeights } from '../weights.ts';

const batches = process.argv.slice(2).map(Number);
const source = await openGgufModel({ path: requireDefaultModel() });
const { config } = source;
const weights = await loadWeights({ source });
const lora = LoraConfigSchema.parse({ rank: 8, alpha: 16 });
const adapters = initLora({ config, lora, rng: createRng(1) });
const PROMPT = 64;
const STEPS = 32;

const variants = [
  { label: 'float32', withLora: false },
  { label: 'float32 + LoRA r8 (all projections)', withLora: true },
];

for (const v of variants) {
  const graph = buildGenerationGraph({ config, weights, ...(v.withLora ? { lora } : {}) });
  const session = await createSession({ model: emitModel({ graph }) });
  const extra = v.withLora
    ? { ...Object.fromEntries(adapters), lora_scale: tensor.scalar('float32', 1) }
    : {};
  for (const batch of batches.length > 0 ? batches : [1, 8]) {
    const rng = createRng(batch);
    const prompts = Array.from({ length: batch }, () =>
      Array.from({ length: PROMPT }, () => 100 + rng.int(40000)),
    );
    // Warm up, then time prefill alone (1 step) and prefill + decode (STEPS steps).
    await greedyGenerate({ session, config, prompts, steps: 2, extra });
    let start = performance.now();
    await greedyGenerate({ session, config, prompts, steps: 1, extra });
    const prefill = performance.now() - start;
    start = performance.now();
    await greedyGenerate({ session, config, prompts, steps: STEPS, extra });
    const decode = performance.now() - start - prefill;
    const decodeRate = (batch * (STEPS - 1)) / (decode / 1000);
    const prefillRate = (batch * PROMPT) / (prefill / 1000);
    console.log(
      `${v.label}, batch ${batch}: decode ${decodeRate.toFixed(1)} tok/s, prefill ${prefillRate.toFixed(0)} tok/s`,
    );
  }
  await session.release();
}
