import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { entersLoss, overlongPenalty } from './overlong.ts';

describe('overlong penalty', () => {
  const penalty = (length: number, bufferTokens = 4, factor = 1) =>
    overlongPenalty({ length, maxNewTokens: 16, bufferTokens, factor });

  it('is 0 up to L_max - L_cache, linear over the buffer, -factor at L_max and beyond', () => {
    assert.deepEqual(
      [0, 5, 12, 13, 14, 15, 16, 17].map((n) => penalty(n)),
      [0, 0, 0, -0.25, -0.5, -0.75, -1, -1],
    );
    assert.equal(penalty(14, 4, 0.5), -0.25);
  });

  it('agrees with a loop that subtracts factor/L_cache for each token past the buffer start', () => {
    for (const bufferTokens of [1, 3, 8, 16]) {
      for (let n = 0; n <= 18; n++) {
        let expected = 0;
        for (let k = 1; k <= Math.min(n, 16); k++) if (k > 16 - bufferTokens) expected -= 0.7 / bufferTokens;
        if (n > 16) expected = -0.7;
        const got = penalty(n, bufferTokens, 0.7);
        assert.ok(Math.abs(got - expected) < 1e-12, `L_cache ${bufferTokens}, n ${n}: ${got} vs ${expected}`);
      }
    }
  });

  it('is off with a zero buffer or a zero factor', () => {
    assert.equal(penalty(16, 0), 0);
    assert.equal(penalty(16, 4, 0), 0);
  });

  it('with a buffer longer than L_max starts the ramp below 0 tokens', () => {
    assert.equal(penalty(0, 32), -0.5);
    assert.equal(penalty(16, 32), -1);
  });
});

describe('masking truncated answers', () => {
  it('drops a response cut off at the limit only when masking is on', () => {
    assert.equal(entersLoss({ finishReason: 'length', maskTruncated: true }), false);
    assert.equal(entersLoss({ finishReason: 'stop', maskTruncated: true }), true);
    assert.equal(entersLoss({ finishReason: 'length', maskTruncated: false }), true);
  });
});
