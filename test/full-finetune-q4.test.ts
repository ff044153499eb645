import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { expectedWeights } from '../src/models/config.ts';
import { defaultModelPath, SETUP_MODEL_COMMAND } from '../src/models/default-model.ts';
import { openGgufModel } from '../src/models/gguf/gguf-source.ts';
import { dequantizePacked } from '../src/models/llama/quant/packed-weight.ts';
import { packWeights } from '../src/models/llama/quant/quantized-weights.ts';

const path = defaultModelPath();
const skip = existsSync(path) ? false : `model file ${path} is missing: run \`${SETUP_MODEL_COMMAND}\``;

/** max |a - b| / max |b|. */
function relativeError(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs((a[i] as number) - (b[i] as number)));
    scale = Math.max(scale, Math.abs(b[i] as number));
  }
  return diff / scale;
}

/**
 * 4-bit rollouts of a fully fine-tuned SmolLM2 (Q4_1 file): the projections are packed from the
 * trained float32 weights (`fromFile: false`), not repacked from the file's blocks, which would
 * roll out with the base model's weights.
 */
describe('q4 packing of fine-tuned weights (SmolLM2 Q4_1)', { skip }, () => {
  it('packs the weights given, not the file blocks, when they are not the file weights', async () => {
    const source = await openGgufModel({ path });
    const name = 'blk.0.attn_q.weight';
    const [rows, cols] = expectedWeights(source.config).get(name) as [number, number];
    const base = await source.loadWeight(name);
    const trained = base.map((v, i) => v * 1.5 + (i % 7 === 0 ? 0.01 : 0));
    const weights = new Map([[name, { dtype: 'float32' as const, dims: [rows, cols], data: trained }]]);
    const fromFile = (await packWeights({ source, weights })).get(name);
    const fromTrained = (await packWeights({ source, weights, fromFile: false })).get(name);
    assert.ok(fromFile !== undefined && fromTrained !== undefined);
    // The file's blocks dequantise to the base weights exactly (the loader's own dequantisation).
    assert.deepEqual(dequantizePacked(fromFile), base);
    // The trained weights, quantised to 4 bits: near them, far from the base.
    const error = relativeError(dequantizePacked(fromTrained), trained);
    assert.ok(error < 0.1, `4-bit error of the trained weights ${error}`);
    assert.ok(relativeError(dequantizePacked(fromTrained), base) > 0.2);
  });
});
