import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalJson } from './canonical-json.ts';

test('canonical JSON sorts keys at every level and refuses what JSON cannot carry', () => {
  assert.equal(
    canonicalJson({ b: [3, { d: 1, c: 'x' }], a: null, u: undefined }),
    '{"a":null,"b":[3,{"c":"x","d":1}]}',
  );
  assert.equal(canonicalJson([undefined, 1]), '[null,1]');
  assert.equal(
    canonicalJson({ when: new Date('2026-01-01T00:00:00Z') }),
    '{"when":"2026-01-01T00:00:00.000Z"}',
  );
  assert.equal(
    canonicalJson(JSON.parse(canonicalJson({ z: 'é\n', y: 1.5e-7 }))),
    canonicalJson({ y: 1.5e-7, z: 'é\n' }),
  );
  assert.throws(
    () => canonicalJson({ loss: { mean: Number.NaN } }),
    /\$\.loss\.mean: NaN cannot be stored as JSON/,
  );
  assert.throws(() => canonicalJson({ n: 1n }), /\$\.n: a bigint cannot be stored as JSON/);
});
