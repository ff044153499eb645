import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { parseSeeds, withSeed } from './bench-learning.ts';

describe('bench learning', () => {
  it('parses distinct non-negative seeds and names the flag otherwise', () => {
    assert.deepEqual(parseSeeds('0,1, 2'), [0, 1, 2]);
    for (const bad of ['', '1,,2', '-1', '1.5', 'a', '1,1'])
      assert.throws(() => parseSeeds(bad), /--seeds: expected distinct integers >= 0/);
  });

  it('replaces the run seed and keeps everything else, comments included', () => {
    const text = '# a run\nname: q\nseed: 0 # the run seed\nrl:\n  seed: 7\n';
    const changed = withSeed(text, 5);
    assert.deepEqual(parse(changed), { name: 'q', seed: 5, rl: { seed: 7 } });
    assert.match(changed, /# a run/);
    assert.deepEqual(parse(withSeed('name: q\n', 2)), { name: 'q', seed: 2 });
  });
});
