import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { compactionMoves, groupPrompts } from './prompt-groups.ts';

test('groupPrompts: groups in order of first appearance, members in request order', () => {
  const [a, b, c] = [
    [1, 2, 3],
    [1, 2],
    [7, 8, 9],
  ];
  const groups = groupPrompts({ prompts: [b, a, b, c, a, b], maxMembers: 8 });
  assert.deepEqual(groups, [
    { prompt: b, members: [0, 2, 5] },
    { prompt: a, members: [1, 4] },
    { prompt: c, members: [3] },
  ]);
  // A prompt that is a prefix of another, or the same ids split differently, is a different prompt.
  const split = groupPrompts({
    prompts: [
      [1, 23],
      [12, 3],
      [1, 2, 3],
      [12, 3],
    ],
    maxMembers: 8,
  });
  assert.deepEqual(
    split.map((g) => g.members),
    [[0], [1, 3], [2]],
  );
});

test('groupPrompts: a group larger than maxMembers splits into consecutive parts of at most that size', () => {
  const p = [5, 6];
  const q = [9];
  const prompts = [p, p, q, p, p, p, q, p, p];
  const groups = groupPrompts({ prompts, maxMembers: 3 });
  assert.deepEqual(
    groups.map((g) => ({ prompt: g.prompt, members: g.members })),
    [
      { prompt: p, members: [0, 1, 3] },
      { prompt: p, members: [4, 5, 7] },
      { prompt: p, members: [8] },
      { prompt: q, members: [2, 6] },
    ],
  );
  // maxMembers 1: every sequence prefills on its own, still in order of first appearance.
  assert.deepEqual(
    groupPrompts({ prompts, maxMembers: 1 }).map((g) => g.members),
    [[0], [1], [3], [4], [5], [7], [8], [2], [6]],
  );
});

test('groupPrompts (property): every index once, groups of identical prompts, none above maxMembers', () => {
  fc.assert(
    fc.property(
      fc.array(fc.array(fc.nat({ max: 3 }), { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 30 }),
      fc.integer({ min: 1, max: 6 }),
      (prompts, maxMembers) => {
        const groups = groupPrompts({ prompts, maxMembers });
        const seen = groups.flatMap((g) => g.members);
        assert.deepEqual(
          [...seen].sort((x, y) => x - y),
          prompts.map((_, i) => i),
        );
        for (const g of groups) {
          assert.ok(g.members.length >= 1 && g.members.length <= maxMembers);
          for (const m of g.members) assert.deepEqual(prompts[m], g.prompt);
          assert.deepEqual(
            g.members,
            [...g.members].sort((x, y) => x - y),
          );
        }
        // Only the last part of a prompt's groups may be smaller than maxMembers.
        const byPrompt = new Map<string, number[]>();
        for (const g of groups) {
          const sizes = byPrompt.get(g.prompt.join(',')) ?? [];
          sizes.push(g.members.length);
          byPrompt.set(g.prompt.join(','), sizes);
        }
        for (const sizes of byPrompt.values()) {
          for (const size of sizes.slice(0, -1)) assert.equal(size, maxMembers);
        }
      },
    ),
    { numRuns: 300, seed: 7 },
  );
});

/**
 * Applies moves to slots holding sequence ids (undefined: a freed slot), checking that each move
 * reads a running sequence and writes into a freed slot or one already emptied by an earlier move.
 */
function applyMoves(
  slots: (number | undefined)[],
  moves: readonly { from: number; to: number }[],
): (number | undefined)[] {
  const out = [...slots];
  for (const { from, to } of moves) {
    assert.ok(from !== to, `move ${from} -> ${to} goes nowhere`);
    assert.ok(out[from] !== undefined, `move ${from} -> ${to} reads a slot that holds no running sequence`);
    assert.equal(out[to], undefined, `move ${from} -> ${to} overwrites running sequence ${out[to]}`);
    out[to] = out[from];
    out[from] = undefined;
  }
  return out;
}

test('compactionMoves: the last running slots fill the holes, lowest hole first', () => {
  // Slots 0..5 run; 1 and 3 finished: 5 fills 1, 4 fills 3.
  assert.deepEqual(compactionMoves({ count: 6, freed: new Set([1, 3]) }), [
    { from: 5, to: 1 },
    { from: 4, to: 3 },
  ]);
  // Only the tail finished: nothing moves.
  assert.deepEqual(compactionMoves({ count: 4, freed: new Set([2, 3]) }), []);
  // The last slot finished too: the source skips it.
  assert.deepEqual(compactionMoves({ count: 5, freed: new Set([0, 4]) }), [{ from: 3, to: 0 }]);
  // Everything finished.
  assert.deepEqual(compactionMoves({ count: 3, freed: new Set([0, 1, 2]) }), []);
});

test('compactionMoves (property): the kept sequences end in slots 0..kept-1, none overwritten', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 40 }).chain((count) =>
        fc.record({
          count: fc.constant(count),
          freed: fc.uniqueArray(fc.nat({ max: count - 1 }), { maxLength: count }),
        }),
      ),
      ({ count, freed }) => {
        const freedSet = new Set(freed);
        const slots = Array.from({ length: count }, (_, s) => (freedSet.has(s) ? undefined : 100 + s));
        const keptIds = slots.filter((s) => s !== undefined);
        const kept = keptIds.length;
        const moves = compactionMoves({ count, freed: freedSet });
        const after = applyMoves(slots, moves);
        assert.deepEqual(
          after.slice(0, kept).sort(),
          [...keptIds].sort(),
          `slots 0..${kept - 1} after the moves`,
        );
        assert.ok(
          after.slice(kept).every((s) => s === undefined),
          'nothing left beyond the kept ones',
        );
        // Sequences already in front stay where they are: the fewest moves, one per hole in front.
        for (let s = 0; s < kept; s++) if (slots[s] !== undefined) assert.equal(after[s], slots[s]);
        assert.equal(moves.length, freed.filter((s) => s < kept).length);
      },
    ),
    { numRuns: 500, seed: 3 },
  );
});
