import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  addUsage,
  allowanceSpent,
  budgetSpent,
  describeSpend,
  isJudgeBudgetSpent,
  raiseBudget,
  raiseProblem,
  remaining,
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
