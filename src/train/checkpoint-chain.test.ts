import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ChainLink, chainFaults, compareChains } from './checkpoint-chain.ts';

/** A well-formed chain of `n` applied updates: step k trained from step k-1's adapters. */
function chain(n: number, tag = ''): ChainLink[] {
  const links: ChainLink[] = [];
  for (let step = 1; step <= n; step++) {
    links.push({
      step,
      address: `ckpt-${step}${tag}`,
      parent: step === 1 ? null : `ckpt-${step - 1}${tag}`,
      trainedFrom: step === 1 ? 'init' : `adapter-${step - 1}${tag}`,
      adapter: `adapter-${step}${tag}`,
      applied: true,
      optimizerSteps: step,
      updateAttempt: 1,
    });
  }
  return links;
}

const kinds = (links: ChainLink[], steps?: number) =>
  chainFaults(links, steps === undefined ? {} : { steps }).map((f) => `${f.step}:${f.kind}`);

describe('chainFaults', () => {
  it('finds none in a chain of one applied update per step', () => {
    assert.deepEqual(kinds(chain(4), 4), []);
  });

  it('counts a step without a checkpoint as missing, in the middle or at the end', () => {
    const links = chain(4);
    // Step 4 then follows step 2: its parent, weights and optimizer count do not match either.
    assert.deepEqual(kinds([links[0]!, links[1]!, links[3]!]), [
      '3:missing-step',
      '4:parent',
      '4:optimizer-steps',
      '4:trained-from',
    ]);
    assert.deepEqual(kinds(links.slice(0, 3), 4), ['4:missing-step']);
  });

  it('names an update applied twice: trained from other weights, one optimizer step too many', () => {
    const links = chain(3);
    // Step 3 applied to weights step 3 had already updated (its own retry's output).
    links[2] = { ...links[2]!, trainedFrom: 'adapter-3-first-attempt', optimizerSteps: 4 };
    assert.deepEqual(kinds(links), ['3:optimizer-steps', '3:trained-from']);
  });

  it('names a wrong parent, a missing trainedFrom, and adapters changed by an update not applied', () => {
    const links = chain(3);
    links[1] = { ...links[1]!, parent: 'ckpt-x' };
    links[2] = { ...links[2]!, applied: false, optimizerSteps: 2, trainedFrom: 'adapter-2' };
    assert.deepEqual(kinds(links), ['2:parent', '3:adapters-changed']);
    const unknown = chain(2);
    unknown[1] = { ...unknown[1]!, trainedFrom: undefined };
    assert.deepEqual(kinds(unknown), ['2:no-trained-from']);
  });

  it('accepts an update that applied nothing and kept the adapters', () => {
    const links = chain(3);
    links[1] = { ...links[1]!, applied: false, adapter: 'adapter-1', optimizerSteps: 1 };
    links[2] = { ...links[2]!, trainedFrom: 'adapter-1', optimizerSteps: 2 };
    assert.deepEqual(kinds(links), []);
  });
});

describe('compareChains', () => {
  it('equal adapters at every step: no difference, the final adapters equal', () => {
    // Records differ (timing, worker), adapters do not.
    const a = chain(3);
    const b = chain(3).map((l) => ({ ...l, address: `${l.address}-other` }));
    assert.deepEqual(compareChains(a, b), {
      steps: 3,
      firstDifferentStep: null,
      finalEqual: true,
      finalAdapters: { a: 'adapter-3', b: 'adapter-3' },
    });
  });

  it('names the first step whose adapters differ', () => {
    const a = chain(4);
    const b = [...chain(2), ...chain(4, '-b').slice(2)];
    const c = compareChains(a, b);
    assert.equal(c.firstDifferentStep, 3);
    assert.equal(c.finalEqual, false);
  });

  it('a chain that stops early is not equal at the end', () => {
    const c = compareChains(chain(3), chain(2));
    assert.deepEqual([c.steps, c.firstDifferentStep, c.finalEqual], [2, null, false]);
  });
});
