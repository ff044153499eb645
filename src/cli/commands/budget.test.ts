import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeBudget, parseBudgetRaise } from './budget.ts';

test('budget flags: whole numbers >= 1, either or both; none asks for the budget only', () => {
  assert.deepEqual(parseBudgetRaise({ addRequests: '40' }), { addRequests: 40 });
  assert.deepEqual(parseBudgetRaise({ addRequests: '4', addTokens: '9000' }), {
    addRequests: 4,
    addTokens: 9000,
  });
  assert.equal(parseBudgetRaise({}), undefined);
  assert.throws(
    () => parseBudgetRaise({ addRequests: '0' }),
    /--add-requests: expected an integer >= 1, got '0'/,
  );
  assert.throws(() => parseBudgetRaise({ addTokens: '1.5' }), /--add-tokens: expected an integer >= 1/);
});

test('the budget line says paused when the run waits for a raise', () => {
  assert.equal(
    describeBudget('r', { budget: { requests: 12 }, used: { requests: 12, tokens: 0 }, waiting: true }),
    'r: paused: judge budget spent (12 of 12 requests)',
  );
  assert.equal(
    describeBudget('r', { budget: { tokens: 100 }, used: { requests: 3, tokens: 40 }, waiting: false }),
    'r: judge budget (40 of 100 tokens)',
  );
  assert.match(
    describeBudget('r', { budget: null, used: { requests: 3, tokens: 0 }, waiting: false }),
    /no judge budget/,
  );
});
