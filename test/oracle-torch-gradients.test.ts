import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { emitModel } from '../src/graph/onnx/model.ts';
import { createRng, type Rng } from '../src/graph/random.ts';
import { createSession, runSession } from '../src/graph/runtime.ts';
import { fromData, type HostTensor, tensor } from '../src/graph/tensor.ts';
import { expectedWeights, type LlamaConfig } from '../src/models/config.ts';
import { buildLogprobGraph } from '../src/models/llama/logprob-graph.ts';
import { initLora, type LoraConfig, LoraConfigSchema } from '../src/models/llama/lora.ts';
import { readTensorFile, writeTensorFile } from '../src/models/llama/testing/tensor-file.ts';
import { castWeights, randomWeights, tinyConfig } from '../src/models/llama/testing/tiny-llama.ts';
import { buildTrainingGraph, type TrainingGraphOptions } from '../src/models/llama/training-graph.ts';
import { type PolicyObjective, PolicyObjectiveSchema } from '../src/rl/losses/objective.ts';

/**
 * Gradients of the training graph against PyTorch autograd on tiny models. The oracle
 * (scripts/torch-oracle/llama_oracle.py) is an independent torch implementation of the model, LoRA
 * and the policy objective; weights and inputs travel as safetensors files. Relative error per
 * tensor is max|ours - torch| / max|torch| (for the scalar loss and metrics, relative to
 * max(|torch|, 1)); the float64 graph must agree to 1e-4 (it does to ~1e-13), the float32 graph
 * to 1e-4 as well.
 */
const PYTHON = resolve('.tools/torch-venv/bin/python');
const ORACLE = resolve('scripts/torch-oracle/llama_oracle.py');
const skip = existsSync(PYTHON)
  ? false
  : `PyTorch venv ${PYTHON} is missing: run \`bash scripts/setup-torch.sh\``;
const TOLERANCE = 1e-4;
const run = promisify(execFile);

interface Case {
  label: string;
  config: LlamaConfig;
  trainable: 'lora' | 'full';
  lora?: LoraConfig;
  objective: PolicyObjective;
  advantages: 'sequence' | 'token';
  hyper: Record<string, number>;
  /** The graph's output head at loss positions only (what the policy's train step builds). */
  scoredPositions?: 'all' | 'loss-mask';
}

const CASES: Case[] = [
  {
    label: 'llama (adjacent-pair RoPE, tied), LoRA on all projections, clipped ratio, token-mean, k3',
    config: tinyConfig({ architecture: 'llama' }),
    trainable: 'lora',
    lora: LoraConfigSchema.parse({ rank: 4, alpha: 8 }),
    objective: PolicyObjectiveSchema.parse({
      loss: 'clipped-ratio',
      aggregation: 'token-mean',
      klEstimator: 'k3',
    }),
    advantages: 'sequence',
    hyper: { clip_low: 0.2, clip_high: 0.28, kl_coef: 0.1 },
  },
  {
    label: 'qwen2 (half-split RoPE, q/k/v bias, untied), LoRA on q/v/down, sequence-mean, k2, entropy bonus',
    config: tinyConfig({ architecture: 'qwen2' }),
    trainable: 'lora',
    lora: LoraConfigSchema.parse({ rank: 2, alpha: 4, targets: ['q', 'v', 'down'] }),
    objective: PolicyObjectiveSchema.parse({
      loss: 'clipped-ratio',
      aggregation: 'sequence-mean',
      klEstimator: 'k2',
      entropyBonus: true,
    }),
    advantages: 'token',
    hyper: { clip_low: 0.1, clip_high: 0.3, kl_coef: 0.05, entropy_coef: 0.01 },
  },
  {
    label: 'qwen3 (q/k norm, partial RoPE on 8 of 16 dims), LoRA on k/o/gate/up, token-mean, k3',
    config: tinyConfig({ architecture: 'qwen3', ropeDim: 8 }),
    trainable: 'lora',
    lora: LoraConfigSchema.parse({ rank: 3, alpha: 3, targets: ['k', 'o', 'gate', 'up'] }),
    objective: PolicyObjectiveSchema.parse({
      loss: 'clipped-ratio',
      aggregation: 'token-mean',
      klEstimator: 'k3',
    }),
    advantages: 'sequence',
    hyper: { clip_low: 0.2, clip_high: 0.2, kl_coef: 0.3 },
  },
  {
    label: 'llama, LoRA on all projections, GSPO (token form: per-token advantages), sequence-mean, k3',
    config: tinyConfig({ architecture: 'llama' }),
    trainable: 'lora',
    lora: LoraConfigSchema.parse({ rank: 4, alpha: 8 }),
    objective: PolicyObjectiveSchema.parse({
      loss: 'gspo',
      aggregation: 'sequence-mean',
      klEstimator: 'k3',
    }),
    advantages: 'token',
    hyper: { gspo_clip_low: 3e-4, gspo_clip_high: 4e-4, kl_coef: 0.1 },
  },
  {
    label: 'qwen2, LoRA on q/v/down, GSPO (one advantage per sequence), token-mean, k2',
    config: tinyConfig({ architecture: 'qwen2' }),
    trainable: 'lora',
    lora: LoraConfigSchema.parse({ rank: 2, alpha: 4, targets: ['q', 'v', 'down'] }),
    objective: PolicyObjectiveSchema.parse({
      loss: 'gspo',
      aggregation: 'token-mean',
      klEstimator: 'k2',
    }),
    advantages: 'sequence',
    hyper: { gspo_clip_low: 0.05, gspo_clip_high: 0.08, kl_coef: 0.05 },
  },
  {
    label: 'llama full fine-tuning, policy gradient, k1',
    config: tinyConfig({ architecture: 'llama' }),
    trainable: 'full',
    objective: PolicyObjectiveSchema.parse({
      loss: 'policy-gradient',
      aggregation: 'token-mean',
      klEstimator: 'k1',
    }),
    advantages: 'sequence',
    hyper: { kl_coef: 0.2 },
  },
  {
    label: 'qwen2 full fine-tuning (untied head, q/k/v bias), clipped ratio, head at loss positions, k3',
    config: tinyConfig({ architecture: 'qwen2' }),
    trainable: 'full',
    objective: PolicyObjectiveSchema.parse({
      loss: 'clipped-ratio',
      aggregation: 'token-mean',
      klEstimator: 'k3',
    }),
    advantages: 'sequence',
    hyper: { clip_low: 0.2, clip_high: 0.28, kl_coef: 0.1 },
    scoredPositions: 'loss-mask',
  },
  {
    label: 'qwen3 full fine-tuning (q/k norm weights, partial RoPE), GSPO, sequence-mean, k2, entropy bonus',
    config: tinyConfig({ architecture: 'qwen3', ropeDim: 8 }),
    trainable: 'full',
    objective: PolicyObjectiveSchema.parse({
      loss: 'gspo',
      aggregation: 'sequence-mean',
      klEstimator: 'k2',
      entropyBonus: true,
    }),
    advantages: 'token',
    hyper: { gspo_clip_low: 0.05, gspo_clip_high: 0.08, kl_coef: 0.05, entropy_coef: 0.01 },
    scoredPositions: 'loss-mask',
  },
];

/** A batch with left padding (rows 0, 1), right padding (row 2) and none (row 3). */
function batch(vocab: number, rng: Rng) {
  const [B, T] = [4, 12];
  const ids = Array.from({ length: B * T }, () => rng.int(vocab));
  const real = [
    [3, 12],
    [5, 12],
    [0, 9],
    [0, 12],
  ];
  const prompt = [4, 3, 5, 6];
  const mask: number[] = [];
  const loss: number[] = [];
  real.forEach(([from, to], b) => {
    for (let t = 0; t < T; t++) {
      const isReal = t >= (from as number) && t < (to as number);
      mask.push(isReal ? 1 : 0);
      loss.push(isReal && t >= (from as number) + (prompt[b] as number) ? 1 : 0);
    }
  });
  return { B, T, ids: tensor.i64([B, T], ids), mask: tensor.i64([B, T], mask), loss };
}

function noisy(base: Float64Array, rng: Rng, scale: number): Float64Array {
  return base.map((v) => v + scale * rng.normal());
}

function relativeError(ours: HostTensor, theirs: HostTensor): number {
  const a = ours.data as Float64Array | Float32Array;
  const b = theirs.data as Float64Array;
  assert.equal(a.length, b.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs((a[i] as number) - (b[i] as number)));
    scale = Math.max(scale, Math.abs(b[i] as number));
  }
  return scale === 0 ? diff : diff / scale;
}

/** Scalars (loss, metrics) can be near 0 by cancellation: their error is relative to max(|torch|, 1). */
function scalarError(ours: HostTensor, theirs: HostTensor): number {
  const [a, b] = [Number(ours.data[0]), Number(theirs.data[0])];
  return Math.abs(a - b) / Math.max(Math.abs(b), 1);
}

/**
 * The entries at positions t where tokens t - 1 and t are both real (and, given `lossMask`, t is a
 * loss position), as float64.
 */
function onRealPairs(values: HostTensor, mask: HostTensor, lossMask?: readonly number[]): HostTensor {
  const m = Array.from(mask.data as BigInt64Array, Number);
  const T = mask.dims[1] as number;
  const kept: number[] = [];
  (values.data as Float64Array | Float32Array).forEach((v, i) => {
    if (lossMask !== undefined && lossMask[i] !== 1) return;
    if (i % T > 0 && m[i] === 1 && m[i - 1] === 1) kept.push(v);
  });
  return tensor.f64([kept.length], kept);
}

const to32 = (t: HostTensor): HostTensor =>
  t.dtype === 'float64'
    ? fromData({ dtype: 'float32', dims: t.dims, data: Float32Array.from(t.data as Float64Array) })
    : t;

describe('training graph gradients vs PyTorch autograd', { skip }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'torch-oracle-'));
  });
  after(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  for (const [index, c] of CASES.entries()) {
    it(c.label, async (t) => {
      const rng = createRng(100 + index);
      const weights = randomWeights({ config: c.config, rng, dtype: 'float64' });
      const lora = new Map<string, HostTensor>();
      if (c.lora !== undefined) {
        for (const [name, v] of initLora({ config: c.config, lora: c.lora, rng, dtype: 'float64' })) {
          // Non-zero B, so that the gradients of A are non-zero too.
          lora.set(
            name,
            name.endsWith('lora_b') ? tensor.randn({ dtype: 'float64', dims: v.dims, rng, scale: 0.05 }) : v,
          );
        }
        lora.set('lora_scale', tensor.scalar('float64', 1));
      }
      const x = batch(c.config.vocabSize, rng);
      const temperature = tensor.scalar('float64', 0.9);

      // Old and reference log-probs near the current ones, so that some ratios clip and some do not.
      const lpGraph = buildLogprobGraph({
        config: c.config,
        weights,
        ...(c.lora ? { lora: c.lora } : {}),
        dtype: 'float64',
      });
      const lpSession = await createSession({ model: emitModel({ graph: lpGraph }) });
      const current = (
        await runSession({
          session: lpSession,
          feeds: { ...Object.fromEntries(lora), input_ids: x.ids, attention_mask: x.mask, temperature },
        })
      )['logprobs'] as HostTensor;
      await lpSession.release();
      const lp = current.data as Float64Array;
      const dims = [x.B, x.T];
      const feeds: Record<string, HostTensor> = {
        ...Object.fromEntries(lora),
        input_ids: x.ids,
        attention_mask: x.mask,
        loss_mask: tensor.f64(dims, x.loss),
        old_logprobs: fromData({ dtype: 'float64', dims, data: noisy(lp, rng, 0.3) }),
        ref_logprobs: fromData({ dtype: 'float64', dims, data: noisy(lp, rng, 0.3) }),
        advantages:
          c.advantages === 'sequence'
            ? tensor.randn({ dtype: 'float64', dims: [x.B], rng })
            : tensor.randn({ dtype: 'float64', dims, rng }),
        temperature,
        ...Object.fromEntries(Object.entries(c.hyper).map(([k, v]) => [k, tensor.scalar('float64', v)])),
      };
      if (c.trainable === 'full') for (const [name, w] of weights) feeds[name] = w;

      // The torch oracle.
      const job = {
        model: c.config,
        lora: c.lora ?? null,
        trainable: c.trainable,
        objective: c.objective,
        hyper: c.hyper,
      };
      const jobPath = join(dir, `job-${index}.json`);
      const inPath = join(dir, `in-${index}.safetensors`);
      const outPath = join(dir, `out-${index}.safetensors`);
      await writeFile(jobPath, JSON.stringify(job));
      await writeTensorFile(inPath, new Map(Object.entries({ ...feeds, ...Object.fromEntries(weights) })));
      await run(PYTHON, [ORACLE, jobPath, inPath, outPath], {
        env: { ...process.env, PYTHONWARNINGS: 'ignore', PYTHONDONTWRITEBYTECODE: '1' },
      });
      const torch = await readTensorFile(outPath);

      const options = (dtype: 'float32' | 'float64'): TrainingGraphOptions => ({
        config: c.config,
        trainable: c.trainable,
        objective: c.objective,
        advantages: c.advantages,
        dtype,
        ...(c.trainable === 'lora'
          ? { weights: dtype === 'float64' ? weights : castWeights(weights, 'float32') }
          : {}),
        ...(c.lora === undefined ? {} : { lora: c.lora }),
        ...(c.scoredPositions === undefined ? {} : { scoredPositions: c.scoredPositions }),
      });
      for (const dtype of ['float64', 'float32'] as const) {
        const built = buildTrainingGraph(options(dtype));
        const session = await createSession({ model: emitModel({ graph: built.graph }) });
        const typed =
          dtype === 'float64'
            ? feeds
            : Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, to32(v)]));
        const ours = await runSession({ session, feeds: typed });
        await session.release();
        const errors: Record<string, number> = {};
        for (const name of built.trainable) {
          errors[`grad.${name}`] = relativeError(
            ours[`grad.${name}`] as HostTensor,
            torch.get(`grad.${name}`) as HostTensor,
          );
        }
        for (const name of ['loss', ...built.metrics]) {
          errors[name] = scalarError(ours[name] as HostTensor, torch.get(name) as HostTensor);
        }
        // Per-token values are compared where both tokens of the prediction are real: what padding
        // positions hold is arbitrary (each implementation masks them its own way). A graph whose
        // head runs at loss positions only fills those.
        const scored = c.scoredPositions === 'loss-mask' ? x.loss : undefined;
        for (const name of ['logprobs', 'entropies']) {
          errors[name] = relativeError(
            onRealPairs(ours[name] as HostTensor, x.mask, scored),
            onRealPairs(torch.get(name) as HostTensor, x.mask, scored),
          );
        }
        const [worstName, worst] = Object.entries(errors).reduce((a, b) => (b[1] > a[1] ? b : a));
        const gradErrors = Object.entries(errors).filter(([k]) => k.startsWith('grad.'));
        const worstGrad = Math.max(...gradErrors.map(([, e]) => e));
        t.diagnostic(
          `${dtype}: ${gradErrors.length} gradients, max rel error ${worstGrad.toExponential(2)}; worst overall ${worstName} ${worst.toExponential(2)}; loss ${Number(ours['loss']?.data[0]).toFixed(6)} vs ${Number(torch.get('loss')?.data[0]).toFixed(6)}; clip fraction ${Number(ours['policy/clip_fraction']?.data[0]).toFixed(3)}`,
        );
        assert.ok(gradErrors.length > 0);
        if (c.trainable === 'full') {
          // Every weight of the model has its gradient (embedding, norms, projections, biases, head).
          assert.deepEqual([...built.trainable].sort(), [...expectedWeights(c.config).keys()].sort());
        }
        if (c.objective.loss !== 'policy-gradient') {
          // Both branches of the clipped objective carry tokens in this batch.
          const fraction = Number(ours['policy/clip_fraction']?.data[0]);
          assert.ok(fraction > 0 && fraction < 1, `clip fraction ${fraction}`);
        }
        for (const [name, e] of Object.entries(errors))
          assert.ok(e <= TOLERANCE, `${dtype} ${name}: relative error ${e} > ${TOLERANCE}`);
      }
    });
  }
});
