import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PythonRandom } from './python-random.ts';

// Expected values printed by CPython 3.11: r = random.Random(); r.seed(0); r.random(), ...
describe('PythonRandom', () => {
  it('draws the numbers CPython draws after seed(0)', () => {
    const r = new PythonRandom(0);
    assert.equal(r.random(), 0.8444218515250481);
    assert.equal(r.getrandbits(32), 3255389356);
    assert.equal(r.below(1000), 911);
    // Box-Muller goes through sin/cos/log, whose last bit may differ between libms.
    assert.ok(Math.abs(r.gauss() - -0.6797144480784211) < 1e-15);
    assert.ok(Math.abs(r.gauss() - 0.3705035674606598) < 1e-15);
  });

  it('reseeding restarts the stream (choice indexes after seed(12345))', () => {
    const r = new PythonRandom(7);
    r.random();
    r.seed(12345);
    assert.deepEqual(
      Array.from({ length: 5 }, () => r.below(7)),
      [3, 5, 0, 6, 6],
    );
  });
});
