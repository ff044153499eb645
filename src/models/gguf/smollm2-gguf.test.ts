import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { defaultModelPath, SETUP_MODEL_COMMAND } from '../default-model.ts';
import { openGgufModel } from './gguf-source.ts';

// The real default model. Skipped only when the file is absent; CI installs it first.
const path = defaultModelPath();
const skip = existsSync(path) ? false : `model file ${path} is missing: run \`${SETUP_MODEL_COMMAND}\``;

describe('SmolLM2-135M-Instruct GGUF', { skip }, () => {
  it('derives the Llama config from the metadata', async () => {
    const model = await openGgufModel({ path });
    assert.deepEqual(model.config, {
      architecture: 'llama',
      hiddenSize: 576,
      numLayers: 30,
      numHeads: 9,
      numKvHeads: 3,
      headDim: 64,
      ffnSize: 1536,
      vocabSize: 49152,
      contextLength: 8192,
      ropeBase: model.header.metadata.number('llama.rope.freq_base'),
      ropeDim: 64,
      ropeStyle: 'adjacent-pair',
      rmsEps: Math.fround(1e-5),
      tiedEmbeddings: true,
      qkvBias: false,
      qkNorm: false,
      bosTokenId: 1,
      eosTokenId: 2,
    });
    assert.equal(model.config.ropeBase, 100000);
    assert.equal(model.header.metadata.number('general.file_type'), 3);
  });

  it('lists 272 weights in the expected storage types', async () => {
    const model = await openGgufModel({ path });
    assert.equal(model.weights.size, 272);
    const byType = new Map<string, number>();
    for (const w of model.weights.values()) byType.set(w.storage, (byType.get(w.storage) ?? 0) + 1);
    assert.deepEqual(Object.fromEntries(byType), { Q8_0: 1, F32: 61, Q4_1: 210 });
    assert.deepEqual(model.weights.get('blk.0.attn_k.weight')?.shape, [192, 576]);
    assert.deepEqual(model.weights.get('token_embd.weight')?.shape, [49152, 576]);
  });

  it('dequantises every weight to finite values of the expected size', async () => {
    const model = await openGgufModel({ path });
    let total = 0;
    for (const [name, info] of model.weights) {
      const data = await model.loadWeight(name);
      const expected = info.shape.reduce((a, b) => a * b, 1);
      assert.equal(data.length, expected, name);
      let sumSquares = 0;
      for (let i = 0; i < data.length; i++) {
        const v = data[i]!;
        if (!Number.isFinite(v)) assert.fail(`${name}[${i}] = ${v}`);
        sumSquares += v * v;
      }
      // Real weights, not zeros: every tensor has energy.
      assert.ok(sumSquares > 0, `${name} is all zeros`);
      total += data.length;
    }
    assert.equal(total, 134_515_008);
  });

  it('RMSNorm weights are near one and projections are small', async () => {
    const model = await openGgufModel({ path });
    const norm = await model.loadWeight('output_norm.weight');
    const mean = norm.reduce((a, b) => a + b, 0) / norm.length;
    assert.ok(mean > 0.3 && mean < 3, `output_norm mean ${mean}`);
    const q = await model.loadWeight('blk.0.attn_q.weight');
    const rms = Math.sqrt(q.reduce((a, b) => a + b * b, 0) / q.length);
    assert.ok(rms > 1e-3 && rms < 1, `attn_q rms ${rms}`);
  });
});
