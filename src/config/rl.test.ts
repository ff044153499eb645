import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRunConfig } from './load.ts';
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

  it('keep dynamic sampling off by default; validate it, naming the field', () => {
    assert.equal(RlSettings.parse({}).dynamicSampling, undefined);
    assert.deepEqual(RlSettings.parse({ dynamicSampling: { maxRounds: 3 } }).dynamicSampling, {
      maxRounds: 3,
    });
    assert.deepEqual(
      RlSettings.parse({ dynamicSampling: { maxRounds: 0, promptsPerRound: 4 } }).dynamicSampling,
      { maxRounds: 0, promptsPerRound: 4 },
    );
    const parse = (text: string) => parseRunConfig({ text, file: '/tmp/run.yaml', env: {} });
    assert.throws(() => parse('rl:\n  dynamicSampling: {}\n'), /field rl\.dynamicSampling\.maxRounds/);
    assert.throws(
      () => parse('rl:\n  dynamicSampling: { maxRounds: 65 }\n'),
      /field rl\.dynamicSampling\.maxRounds/,
    );
    assert.throws(
      () => parse('rl:\n  dynamicSampling: { maxRounds: 2, promptsPerRound: 0 }\n'),
      /field rl\.dynamicSampling\.promptsPerRound/,
    );
    assert.throws(
      () => parse('rl:\n  dynamicSampling: { maxRounds: 2, rounds: 1 }\n'),
      /rl\.dynamicSampling/,
    );
    // Dynamic sampling refills what dropping zero-variance groups leaves out: it needs it.
    assert.throws(
      () => parse('rl:\n  dropZeroVarianceGroups: false\n  dynamicSampling: { maxRounds: 2 }\n'),
      /run\.yaml:3, field rl\.dynamicSampling: expected dropZeroVarianceGroups: true with dynamicSampling/,
    );
    assert.throws(
      () =>
        parse(
          'rl:\n  dynamicSampling: { maxRounds: 2 }\nstages:\n  - name: a\n    steps: 1\n  - name: b\n    steps: 1\n    rl: { dropZeroVarianceGroups: false }\n',
        ),
      /field stages\[1\]\.rl\.dynamicSampling: .*\(stage 'b'\)/,
    );
    const staged = parse(
      'stages:\n  - name: a\n    steps: 1\n  - name: b\n    steps: 1\n    rl: { dynamicSampling: { maxRounds: 2 } }\n',
    );
    assert.deepEqual(
      staged.stages.map((s) => s.rl.dynamicSampling),
      [undefined, { maxRounds: 2 }],
    );
  });
});
