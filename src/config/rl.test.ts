import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RlSettings } from './rl.ts';

describe('RL settings', () => {
  it('select GSPO with its own clip range, defaulting to the method’s 3e-4 / 4e-4', () => {
    const rl = RlSettings.parse({ loss: 'gspo' });
    assert.deepEqual([rl.gspoClipLow, rl.gspoClipHigh], [3e-4, 4e-4]);
    assert.deepEqual([rl.clipLow, rl.clipHigh], [0.2, 0.28], 'the token clip range is unchanged');
    assert.equal(RlSettings.parse({ loss: 'gspo', gspoClipHigh: 1e-3 }).gspoClipHigh, 1e-3);
    assert.throws(() => RlSettings.parse({ gspoClipLow: 1 }), /gspoClipLow/);
    assert.throws(
      () => RlSettings.parse({ loss: 'gsp' }),
      /registered policy losses: clipped-ratio, gspo, policy-gradient/,
    );
  });

  it('keep overlong handling off by default', () => {
    const rl = RlSettings.parse({});
    assert.deepEqual([rl.overlongBufferTokens, rl.overlongPenaltyFactor, rl.maskTruncated], [0, 1, false]);
    const on = RlSettings.parse({
      overlongBufferTokens: 64,
      overlongPenaltyFactor: 0.5,
      maskTruncated: true,
    });
    assert.deepEqual([on.overlongBufferTokens, on.overlongPenaltyFactor, on.maskTruncated], [64, 0.5, true]);
    assert.throws(() => RlSettings.parse({ overlongBufferTokens: -1 }), /overlongBufferTokens/);
    assert.throws(() => RlSettings.parse({ overlongBufferTokens: 1.5 }), /overlongBufferTokens/);
  });
});
