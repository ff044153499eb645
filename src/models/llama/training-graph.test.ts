import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emitModel } from '../../graph/onnx/model.ts';
import { createRng } from '../../graph/random.ts';
import { createSession, runSession } from '../../graph/runtime.ts';
import { type HostTensor, tensor } from '../../graph/tensor.ts';
import { PolicyObjectiveSchema } from '../../rl/losses/objective.ts';
import { initLora, LoraConfigSchema } from './lora.ts';
import { randomWeights, tinyConfig } from './testing/tiny-llama.ts';
import { buildTrainingGraph } from './training-graph.ts';

/**
 * The output head at loss positions only ('loss-mask') against every position ('all'), float64:
 * the same loss, gradients and metrics, the same log-probs and entropies where the loss looks,
 * zeros elsewhere. The batch mixes left and right padding and a response at the very end.
 */
describe('training graph: output head at loss positions only', () => {
  const config = tinyConfig();
  const rng = createRng(41);
  const weights = randomWeights({ config, rng, dtype: 'float64' });
  const lora = LoraConfigSchema.parse({ rank: 2, alpha: 4 });
  const [B, T] = [3, 10];
  const real = [
    [2, 10],
    [0, 7],
    [0, 10],
  ];
  const prompt = [3, 2, 9];
  const mask: number[] = [];
  const loss: number[] = [];
  real.forEach(([from, to], b) => {
    for (let t = 0; t < T; t++) {
      const isReal = t >= (from as number) && t < (to as number);
      mask.push(isReal ? 1 : 0);
      loss.push(isReal && t >= (from as number) + (prompt[b] as number) ? 1 : 0);
    }
  });
  const dims = [B, T];
  const feeds: Record<string, HostTensor> = {
    input_ids: tensor.randint({ dims, rng, high: config.vocabSize }),
    attention_mask: tensor.i64(dims, mask),
    loss_mask: tensor.f64(dims, loss),
    old_logprobs: tensor.randn({ dtype: 'float64', dims, rng, scale: 0.5 }),
    ref_logprobs: tensor.randn({ dtype: 'float64', dims, rng, scale: 0.5 }),
    advantages: tensor.randn({ dtype: 'float64', dims: [B], rng }),
    temperature: tensor.scalar('float64', 0.8),
    clip_low: tensor.scalar('float64', 0.2),
    clip_high: tensor.scalar('float64', 0.3),
    kl_coef: tensor.scalar('float64', 0.1),
    entropy_coef: tensor.scalar('float64', 0.01),
    lora_scale: tensor.scalar('float64', 1),
  };
  for (const [name, t] of initLora({ config, lora, rng, dtype: 'float64' })) {
    feeds[name] = name.endsWith('lora_b')
      ? tensor.randn({ dtype: 'float64', dims: t.dims, rng, scale: 0.05 })
      : t;
  }
  const objective = PolicyObjectiveSchema.parse({
    loss: 'clipped-ratio',
    aggregation: 'token-mean',
    klEstimator: 'k3',
    entropyBonus: true,
  });

  const run = async (scoredPositions: 'all' | 'loss-mask') => {
    const built = buildTrainingGraph({ config, weights, lora, objective, dtype: 'float64', scoredPositions });
    const session = await createSession({ model: emitModel({ graph: built.graph }) });
    const out = await runSession({ session, feeds });
    await session.release();
    return { out, built };
  };

  it('same loss, gradients and metrics; log-probs and entropies equal at loss positions, 0 elsewhere', async () => {
    const all = await run('all');
    const masked = await run('loss-mask');
    const close = (a: HostTensor, b: HostTensor, what: string) => {
      const [x, y] = [a.data as Float64Array, b.data as Float64Array];
      assert.equal(x.length, y.length, what);
      for (let i = 0; i < x.length; i++)
        assert.ok(Math.abs((x[i] as number) - (y[i] as number)) < 1e-12, `${what}[${i}]`);
    };
    for (const name of ['loss', ...all.built.metrics, ...all.built.trainable.map((n) => `grad.${n}`)]) {
      close(masked.out[name] as HostTensor, all.out[name] as HostTensor, name);
    }
    for (const name of ['logprobs', 'entropies']) {
      const m = masked.out[name]?.data as Float64Array;
      const a = all.out[name]?.data as Float64Array;
      loss.forEach((l, i) => {
        if (l === 1) assert.ok(Math.abs((m[i] as number) - (a[i] as number)) < 1e-12, `${name}[${i}]`);
        else assert.equal(m[i], 0, `${name}[${i}] is not scored`);
      });
    }
  });
});
