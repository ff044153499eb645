import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { UnknownNameError, ValidationError } from '../../util/errors.ts';
import { AdvantageRegistry, computeAdvantages, defaultAdvantageRegistry, grpo } from './index.ts';
import type { AdvantageInput } from './types.ts';

/**
 * Plain-loop reference: gather each group's scored rewards, compute its statistics, then each
 * response's advantage one at a time.
 */
function loopAdvantages(estimator: string, input: AdvantageInput): (number | null)[] {
  const eps = input.eps ?? 1e-6;
  const members = new Map<number, number[]>();
  input.groupIds.forEach((g, i) => {
    const r = input.rewards[i];
    if (!members.has(g)) members.set(g, []);
    if (r !== null && r !== undefined) members.get(g)!.push(r);
  });
  const stats = (xs: number[]) => {
    let mean = 0;
    for (const x of xs) mean += x / xs.length;
    let v = 0;
    for (const x of xs) v += (x - mean) ** 2;
    return { mean, std: xs.length > 1 ? Math.sqrt(v / (xs.length - 1)) : 0 };
  };
  const dropped = (g: number) => {
    const xs = members.get(g)!;
    return input.dropZeroVariance === true && (xs.length < 2 || xs.every((x) => x === xs[0]));
  };
  const out: (number | null)[] = [];
  for (let i = 0; i < input.rewards.length; i++) {
    const r = input.rewards[i];
    const g = input.groupIds[i]!;
    if (r === null || r === undefined || dropped(g)) {
      out.push(null);
      continue;
    }
    const xs = members.get(g)!;
    const { mean, std } = stats(xs);
    if (estimator === 'grpo') out.push((r - mean) / (std + eps));
    else if (estimator === 'dr-grpo' || estimator === 'reinforce++-baseline') out.push(r - mean);
    else if (estimator === 'rloo') {
      let others = 0;
      for (const x of xs) others += x;
      out.push(xs.length < 2 ? 0 : r - (others - r) / (xs.length - 1));
    } else out.push(r);
  }
  if (estimator.startsWith('reinforce++')) {
    const kept = out.filter((a): a is number => a !== null);
    const { mean, std } = stats(kept);
    return out.map((a) => (a === null ? null : (a - mean) / (std + eps)));
  }
  return out;
}

const ESTIMATORS = ['grpo', 'dr-grpo', 'rloo', 'reinforce++', 'reinforce++-baseline'];

function close(a: (number | null)[], b: (number | null)[], what: string) {
  assert.equal(a.length, b.length);
  a.forEach((x, i) => {
    const y = b[i];
    if (x === null || y === null || y === undefined) assert.equal(x, y, `${what}[${i}] masking differs`);
    else assert.ok(Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(y)), `${what}[${i}]: ${x} vs ${y}`);
  });
}

test('hand-computed GRPO, Dr. GRPO and RLOO on one group', () => {
  const input = { rewards: [1, 0, 0.5, 0.5], groupIds: [0, 0, 0, 0] };
  // mean 0.5, unbiased std sqrt((0.25 + 0.25) / 3) = 0.408248...
  const std = Math.sqrt(0.5 / 3);
  close(
    computeAdvantages({ estimator: 'grpo', ...input, eps: 0 }).advantages,
    [0.5 / std, -0.5 / std, 0, 0],
    'grpo',
  );
  close(computeAdvantages({ estimator: 'dr-grpo', ...input }).advantages, [0.5, -0.5, 0, 0], 'dr-grpo');
  // RLOO: 1 - mean(0, .5, .5) = 2/3; 0 - mean(1, .5, .5) = -2/3; .5 - mean(1, 0, .5) = 0.
  close(computeAdvantages({ estimator: 'rloo', ...input }).advantages, [2 / 3, -2 / 3, 0, 0], 'rloo');
});

test('unscorable rewards are left out of the baseline and masked, never counted as 0', () => {
  const result = computeAdvantages({
    estimator: 'dr-grpo',
    rewards: [1, null, 0.5, null],
    groupIds: [0, 0, 0, 0],
  });
  // Baseline is mean(1, 0.5) = 0.75, not mean(1, 0, 0.5, 0).
  close(result.advantages, [0.25, null, -0.25, null], 'dr-grpo');
  assert.equal(result.groups[0]!.scored, 2);
  assert.equal(result.groups[0]!.size, 4);
});

test('zero-variance groups are flagged, and dropped (all null) only with dynamic sampling', () => {
  const input = { rewards: [1, 1, 1, 0.2, 0.7, null, null, 0.3], groupIds: [0, 0, 0, 1, 1, 2, 2, 3] };
  const kept = computeAdvantages({ estimator: 'grpo', ...input });
  assert.deepEqual(
    kept.groups.map((g) => [g.groupId, g.zeroVariance, g.dropped]),
    [
      [0, true, false],
      [1, false, false],
      [2, true, false],
      [3, true, false],
    ],
  );
  close(kept.advantages.slice(0, 3), [0, 0, 0], 'grpo zero-variance group');
  const dropped = computeAdvantages({ estimator: 'grpo', ...input, dropZeroVariance: true });
  assert.deepEqual(
    dropped.advantages.map((a) => a === null),
    [true, true, true, false, false, true, true, true],
  );
  assert.ok(dropped.groups.filter((g) => g.groupId !== 1).every((g) => g.dropped));
});

test('REINFORCE++ whitens over the batch, leaving dropped groups out of the statistics', () => {
  const result = computeAdvantages({
    estimator: 'reinforce++',
    rewards: [0, 1, 2, 3, 5, 5],
    groupIds: [0, 0, 1, 1, 2, 2],
    dropZeroVariance: true,
    eps: 0,
  });
  // Kept: 0, 1, 2, 3 -> mean 1.5, unbiased std sqrt(5/3).
  const s = Math.sqrt(5 / 3);
  close(result.advantages, [-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s, null, null], 'reinforce++');
});

test('vectorised estimators equal the plain loop on random batches (property)', () => {
  const batch = fc
    .array(
      fc.record({
        group: fc.integer({ min: -3, max: 6 }),
        reward: fc.option(fc.double({ min: -5, max: 5, noNaN: true }), { nil: null, freq: 5 }),
        tie: fc.boolean(),
      }),
      { minLength: 1, maxLength: 40 },
    )
    .map((rows) => ({
      groupIds: rows.map((r) => r.group),
      // Ties make zero-variance groups common enough to exercise dropping.
      rewards: rows.map((r) => (r.reward === null ? null : r.tie ? 1 : r.reward)),
    }));
  fc.assert(
    fc.property(batch, fc.boolean(), (input, dropZeroVariance) => {
      for (const estimator of ESTIMATORS) {
        const full = { ...input, dropZeroVariance };
        close(
          computeAdvantages({ estimator, ...full }).advantages,
          loopAdvantages(estimator, full),
          estimator,
        );
      }
    }),
    { numRuns: 300, seed: 3 },
  );
});

test('bad input names the field; NaN is not a way to say unscorable', () => {
  assert.throws(
    () => computeAdvantages({ estimator: 'grpo', rewards: [1, Number.NaN], groupIds: [0, 0] }),
    (err: Error) => err instanceof ValidationError && /rewards\[1\].*null/.test(err.message),
  );
  assert.throws(() => computeAdvantages({ estimator: 'grpo', rewards: [1], groupIds: [0, 0] }), /groupIds/);
  assert.throws(
    () => computeAdvantages({ estimator: 'grpo', rewards: [1], groupIds: [0.5] }),
    /groupIds\[0\]/,
  );
});

test('registry: unknown names list the known ones; a taken name cannot be registered', () => {
  assert.throws(
    () => computeAdvantages({ estimator: 'ppo', rewards: [1], groupIds: [0] }),
    (err: Error) =>
      err instanceof UnknownNameError &&
      err.message.includes("'ppo'") &&
      ESTIMATORS.every((name) => err.message.includes(name)),
  );
  const registry = defaultAdvantageRegistry();
  assert.deepEqual(registry.names(), [...ESTIMATORS].sort());
  assert.throws(() => registry.register(grpo), /already registered/);
  const custom = new AdvantageRegistry();
  custom.register({ ...grpo, name: 'mine' });
  assert.deepEqual(custom.names(), ['mine']);
});
