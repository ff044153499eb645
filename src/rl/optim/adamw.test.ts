import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createRng } from '../../graph/random.ts';
import { AdamWConfigSchema, adamwStep, cloneAdamWState, createAdamWState } from './adamw.ts';
import { clipScale, globalGradNorm } from './grad-norm.ts';
import { NonFiniteError } from './non-finite.ts';

const config = AdamWConfigSchema.parse({ lr: 0.01, weightDecay: 0.1 });

function randomTensors(seed: number, sizes: Record<string, number>, scale = 1): Record<string, Float32Array> {
  const rng = createRng(seed);
  return Object.fromEntries(
    Object.entries(sizes).map(([k, n]) => [k, Float32Array.from({ length: n }, () => rng.normal() * scale)]),
  );
}

test('first step by hand: decay, then lr * g / (|g| + eps) since the bias-corrected moments are g and g²', () => {
  const params = { w: Float32Array.from([1, -2]) };
  const grads = { w: Float32Array.from([0.5, -4]) };
  const state = createAdamWState(params);
  adamwStep({ params, grads, state, config });
  const expected = [
    1 * (1 - 0.001) - 0.01 * (0.5 / (0.5 + 1e-8)),
    -2 * (1 - 0.001) + 0.01 * (4 / (4 + 1e-8)),
  ];
  assert.deepEqual(Array.from(params.w), expected.map(Math.fround));
  assert.equal(state.step, 1);
  assert.deepEqual(Array.from(state.m['w']!), [0.05, -0.4].map(Math.fround));
  assert.deepEqual(Array.from(state.v['w']!), [0.00025, 0.016].map(Math.fround));
});

test('ten steps equal a plain per-element loop of the PyTorch formula', () => {
  const sizes = { a: 37, b: 5 };
  const params = randomTensors(1, sizes);
  const ref = Object.fromEntries(Object.entries(params).map(([k, p]) => [k, Array.from(p)]));
  const refM = Object.fromEntries(Object.entries(sizes).map(([k, n]) => [k, new Array(n).fill(0)]));
  const refV = Object.fromEntries(Object.entries(sizes).map(([k, n]) => [k, new Array(n).fill(0)]));
  const state = createAdamWState(params);
  for (let t = 1; t <= 10; t++) {
    const grads = randomTensors(100 + t, sizes, 0.1 * t);
    adamwStep({ params, grads, state, config });
    for (const name of Object.keys(sizes)) {
      const p = ref[name]!;
      const m = refM[name]!;
      const v = refV[name]!;
      for (let i = 0; i < p.length; i++) {
        const g = grads[name]![i]!;
        m[i] = Math.fround(0.9 * m[i] + 0.1 * g);
        v[i] = Math.fround(0.999 * v[i] + 0.001 * g * g);
        const mHat = m[i] / (1 - 0.9 ** t);
        const vHat = v[i] / (1 - 0.999 ** t);
        p[i] = Math.fround(p[i]! * (1 - 0.01 * 0.1) - (0.01 * mHat) / (Math.sqrt(vHat) + 1e-8));
      }
    }
  }
  for (const name of Object.keys(sizes)) {
    params[name]!.forEach((x, i) => {
      const y = ref[name]![i]!;
      assert.ok(Math.abs(x - y) <= 2e-7 * Math.max(1, Math.abs(y)), `${name}[${i}]: ${x} vs ${y}`);
    });
  }
  assert.equal(state.step, 10);
});

test('a non-finite gradient refuses the step and leaves weights and state untouched', () => {
  const params = randomTensors(2, { a: 8, b: 3 });
  const state = createAdamWState(params);
  adamwStep({ params, grads: randomTensors(3, { a: 8, b: 3 }), state, config });
  const before = {
    params: Object.fromEntries(Object.entries(params).map(([k, p]) => [k, p.slice()])),
    state: cloneAdamWState(state),
  };
  for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
    const grads = randomTensors(4, { a: 8, b: 3 });
    grads['b']![2] = bad;
    assert.throws(
      () => adamwStep({ params, grads, state, config }),
      (err: Error) => {
        assert.ok(err instanceof NonFiniteError);
        assert.equal(err.retryable, false);
        assert.match(err.message, /'b'/);
        return true;
      },
    );
    assert.deepEqual(params, before.params);
    assert.deepEqual(state, before.state);
  }
  assert.throws(
    () => adamwStep({ params, grads: { a: new Float32Array(8) }, state, config }),
    /no gradient for 'b'/,
  );
});

test('global norm and clipping factor', () => {
  const grads = { a: Float32Array.from([3, 0]), b: Float32Array.from([4]) };
  assert.equal(globalGradNorm(grads), 5);
  assert.equal(clipScale({ norm: 5 }), 1);
  assert.equal(clipScale({ norm: 5, maxNorm: 10 }), 1);
  assert.ok(Math.abs(clipScale({ norm: 5, maxNorm: 1 }) - 1 / (5 + 1e-6)) < 1e-15);
  assert.throws(() => clipScale({ norm: Number.NaN, maxNorm: 1 }), NonFiniteError);
  assert.throws(
    () => clipScale({ norm: globalGradNorm({ a: Float32Array.from([Number.POSITIVE_INFINITY]) }) }),
    NonFiniteError,
  );
});

const TORCH_PYTHON = fileURLToPath(new URL('../../../.tools/torch-venv/bin/python', import.meta.url));

test('matches torch.optim.AdamW with clip_grad_norm_ (when the torch venv is installed)', (t) => {
  if (!existsSync(TORCH_PYTHON)) {
    t.skip('no .tools/torch-venv (bash scripts/setup-torch.sh installs it)');
    return;
  }
  const sizes = { a: 50, b: 7 };
  const params = randomTensors(9, sizes);
  const initial = Object.fromEntries(Object.entries(params).map(([k, p]) => [k, Array.from(p)]));
  const gradSteps = [1, 2, 3, 4, 5].map((s) => randomTensors(200 + s, sizes, s));
  const state = createAdamWState(params);
  for (const grads of gradSteps) {
    const scale = clipScale({ norm: globalGradNorm(grads), maxNorm: 3 });
    adamwStep({ params, grads, state, config, gradScale: scale });
  }
  const script = `
import json, sys, torch
d = json.load(sys.stdin)
ps = {k: torch.tensor(v, dtype=torch.float32, requires_grad=True) for k, v in d['initial'].items()}
opt = torch.optim.AdamW(list(ps.values()), lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1)
for step in d['grads']:
    opt.zero_grad()
    for k, p in ps.items():
        p.grad = torch.tensor(step[k], dtype=torch.float32)
    torch.nn.utils.clip_grad_norm_(list(ps.values()), 3.0)
    opt.step()
print(json.dumps({k: p.detach().tolist() for k, p in ps.items()}))
`;
  const input = JSON.stringify({
    initial,
    grads: gradSteps.map((g) => Object.fromEntries(Object.entries(g).map(([k, a]) => [k, Array.from(a)]))),
  });
  const run = spawnSync(TORCH_PYTHON, ['-c', script], { input, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const torch = JSON.parse(run.stdout) as Record<string, number[]>;
  for (const name of Object.keys(sizes)) {
    params[name]!.forEach((x, i) => {
      const y = torch[name]![i]!;
      assert.ok(Math.abs(x - y) <= 1e-6 * Math.max(1, Math.abs(y)), `${name}[${i}]: ${x} vs torch ${y}`);
    });
  }
});
