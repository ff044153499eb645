import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  addUsage,
  allowanceLeft,
  allowanceSpent,
  budgetSpent,
  describeSpend,
  isJudgeBudgetSpent,
  raiseBudget,
  raiseProblem,
  remaining,
  shareOfBudget,
  splitAllowance,
} from './judge-budget.ts';

test('remaining keeps only the limits the budget has, and goes negative when overspent', () => {
  assert.deepEqual(remaining({ budget: { requests: 10 }, used: { requests: 4, tokens: 900 } }), {
    requests: 6,
  });
  assert.deepEqual(remaining({ budget: { tokens: 100 }, used: { requests: 4, tokens: 130 } }), {
    tokens: -30,
  });
  assert.deepEqual(remaining({ budget: {}, used: { requests: 4, tokens: 130 } }), {});
});

test('a budget is spent when any limit has nothing left', () => {
  assert.equal(budgetSpent({ budget: { requests: 3 }, used: { requests: 2, tokens: 0 } }), false);
  assert.equal(budgetSpent({ budget: { requests: 3 }, used: { requests: 3, tokens: 0 } }), true);
  assert.equal(
    budgetSpent({ budget: { requests: 30, tokens: 10 }, used: { requests: 3, tokens: 11 } }),
    true,
  );
  assert.equal(allowanceSpent({}), false, 'no limits: never spent');
  assert.equal(allowanceSpent({ requests: 0 }), true);
});

test('shares of an allowance add up to at most the allowance and differ by at most one', () => {
  assert.deepEqual(splitAllowance({ allowance: { requests: 10 }, parts: 4 }), [
    { requests: 3 },
    { requests: 3 },
    { requests: 2 },
    { requests: 2 },
  ]);
  assert.deepEqual(splitAllowance({ allowance: { requests: 2, tokens: 7 }, parts: 3 }), [
    { requests: 1, tokens: 3 },
    { requests: 1, tokens: 2 },
    { requests: 0, tokens: 2 },
  ]);
  assert.deepEqual(splitAllowance({ allowance: {}, parts: 2 }), [{}, {}], 'unlimited shares');
  assert.deepEqual(splitAllowance({ allowance: { requests: -4 }, parts: 2 }), [
    { requests: 0 },
    { requests: 0 },
  ]);
  fc.assert(
    fc.property(fc.integer({ min: -5, max: 10_000 }), fc.integer({ min: 1, max: 64 }), (total, parts) => {
      const shares = splitAllowance({ allowance: { requests: total }, parts }).map((s) => s.requests!);
      assert.equal(shares.length, parts);
      assert.equal(
        shares.reduce((a, b) => a + b, 0),
        Math.max(0, total),
      );
      assert.ok(Math.max(...shares) - Math.min(...shares) <= 1);
      assert.ok(shares.every((s) => Number.isInteger(s) && s >= 0));
    }),
  );
});

test('usage adds up; a missing usage (a result recorded before budgets) adds nothing', () => {
  assert.deepEqual(addUsage({ requests: 1, tokens: 2 }, { requests: 3, tokens: 4 }), {
    requests: 4,
    tokens: 6,
  });
  assert.deepEqual(addUsage({ requests: 1, tokens: 2 }, undefined), { requests: 1, tokens: 2 });
});

test('raises: positive whole numbers for limits the run has', () => {
  const budget = { requests: 10 };
  assert.equal(raiseProblem({ budget, raise: { addRequests: 5 } }), undefined);
  assert.match(raiseProblem({ budget: null, raise: { addRequests: 5 } })!, /no judge budget/);
  assert.match(raiseProblem({ budget, raise: {} })!, /addRequests, addTokens or both/);
  assert.match(
    raiseProblem({ budget, raise: { addRequests: 0 } })!,
    /addRequests: expected a whole number >= 1/,
  );
  assert.match(raiseProblem({ budget, raise: { addRequests: 1.5 } })!, /whole number/);
  assert.match(raiseProblem({ budget, raise: { addTokens: 5 } })!, /no token limit/);
  assert.match(raiseProblem({ budget, raise: { addRequests: 1, extra: 1 } })!, /unknown field extra/);
  assert.match(raiseProblem({ budget, raise: 'more' })!, /expected \{ addRequests/);
  assert.deepEqual(raiseBudget({ budget: { requests: 10, tokens: 50 }, raise: { addTokens: 5 } }), {
    requests: 10,
    tokens: 55,
  });
});

test('the spend is described against each limit', () => {
  assert.equal(
    describeSpend({ budget: { requests: 12 }, used: { requests: 12, tokens: 99 } }),
    '12 of 12 requests',
  );
  assert.equal(
    describeSpend({ budget: { requests: 12, tokens: 500 }, used: { requests: 3, tokens: 99 } }),
    '3 of 12 requests, 99 of 500 tokens',
  );
});

test('a budget-spent answer is told apart from an ordinary result', () => {
  assert.ok(isJudgeBudgetSpent({ judgeBudgetSpent: true, judgeUsage: { requests: 1, tokens: 0 } }));
  assert.ok(!isJudgeBudgetSpent({ step: 1, meanReward: 0.5 }));
  assert.ok(!isJudgeBudgetSpent(null));
});

test("an allowance's rest after an earlier attempt's spend is never negative", () => {
  assert.deepEqual(
    allowanceLeft({ allowance: { requests: 5, tokens: 100 }, used: { requests: 2, tokens: 130 } }),
    {
      requests: 3,
      tokens: 0,
    },
  );
  assert.deepEqual(allowanceLeft({ allowance: {}, used: { requests: 2, tokens: 130 } }), {});
});

test('a share of the budget: what is unreserved, over the free lanes, rounded up; never negative', () => {
  const budget = { requests: 10 };
  const none = { requests: 0, tokens: 0 };
  assert.deepEqual(shareOfBudget({ budget, used: none, reserved: none, free: 3 }), { requests: 4 });
  assert.deepEqual(shareOfBudget({ budget, used: none, reserved: { requests: 4, tokens: 0 }, free: 2 }), {
    requests: 3,
  });
  assert.deepEqual(shareOfBudget({ budget, used: { requests: 8, tokens: 0 }, reserved: none, free: 3 }), {
    requests: 1,
  });
  assert.deepEqual(
    shareOfBudget({
      budget: { requests: 10, tokens: 50 },
      used: { requests: 3, tokens: 70 },
      reserved: none,
      free: 2,
    }),
    { requests: 4, tokens: 0 },
    'tokens overspent: 0, not negative',
  );
  assert.deepEqual(shareOfBudget({ budget: {}, used: none, reserved: none, free: 2 }), {}, 'no limits');
});

test('shares of the shards running at once never add up to more than the budget has left', () => {
  // Lanes start shards with their share and finish them having spent at most it (requests; tokens
  // may overshoot by a request's worth), in any order: the allowances held plus what was spent stay
  // within the budget, and every share is a whole number >= 0.
  fc.assert(
    fc.property(
      fc.record({
        requests: fc.integer({ min: 0, max: 60 }),
        tokens: fc.option(fc.integer({ min: 0, max: 5000 }), { nil: undefined }),
        lanes: fc.integer({ min: 1, max: 6 }),
        steps: fc.array(fc.tuple(fc.boolean(), fc.nat(), fc.double({ min: 0, max: 1, noNaN: true })), {
          maxLength: 80,
        }),
      }),
      ({ requests, tokens, lanes, steps }) => {
        const budget = { requests, ...(tokens === undefined ? {} : { tokens }) };
        let used = { requests: 0, tokens: 0 };
        const running: Array<{ requests: number; tokens: number }> = [];
        const reserved = () =>
          running.reduce((a, b) => ({ requests: a.requests + b.requests, tokens: a.tokens + b.tokens }), {
            requests: 0,
            tokens: 0,
          });
        for (const [start, pick, fraction] of steps) {
          if (start && running.length < lanes) {
            const held = reserved();
            const share = shareOfBudget({ budget, used, reserved: held, free: lanes - running.length });
            for (const v of [share.requests, share.tokens]) {
              if (v !== undefined) assert.ok(Number.isInteger(v) && v >= 0, `share ${v}`);
            }
            assert.ok(share.requests! <= Math.max(0, requests - used.requests - held.requests));
            running.push({ requests: share.requests!, tokens: share.tokens ?? 0 });
          } else if (running.length > 0) {
            const [shard] = running.splice(pick % running.length, 1);
            const spentTokens = Math.floor(fraction * (shard!.tokens + 300));
            used = addUsage(used, { requests: Math.floor(fraction * shard!.requests), tokens: spentTokens });
          }
          assert.ok(used.requests + reserved().requests <= requests, 'held + spent within the budget');
        }
      },
    ),
  );
});
