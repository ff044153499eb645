import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Verdict } from '../verdict.ts';
import { VerdictCache, verdictCacheKey } from './verdict-cache.ts';
import { captureLogs, judgeCriterion, tempDir } from './test-fixtures.ts';

let tmp: ReturnType<typeof tempDir>;
before(() => {
  tmp = tempDir();
});
after(() => tmp.remove());

const base = {
  prompt: 'p',
  response: 'r',
  criterion: judgeCriterion('accuracy'),
  model: 'm',
  promptVersion: 'v1',
  mode: 'per-criterion',
};
const verdict: Verdict = {
  criterionId: 'accuracy',
  status: 'scored',
  tierScore: 2,
  tierLabel: 'good',
  reason: 'right',
  evaluator: 'judge:m',
};

describe('verdictCacheKey', () => {
  test('changes with every part that decides the verdict, and only with those', () => {
    const key = verdictCacheKey(base);
    assert.match(key, /^[0-9a-f]{64}$/);
    assert.equal(verdictCacheKey({ ...base }), key);
    assert.equal(
      verdictCacheKey({ ...base, criterion: { ...base.criterion, weight: 5 } }),
      key,
      'weight is not graded',
    );
    const variants = [
      { ...base, prompt: 'p2' },
      { ...base, response: 'r2' },
      { ...base, model: 'm2' },
      { ...base, promptVersion: 'v2' },
      { ...base, mode: 'rubric' },
      { ...base, criterion: judgeCriterion('other') },
      { ...base, criterion: judgeCriterion('accuracy', { description: 'different' }) },
      { ...base, criterion: judgeCriterion('accuracy', { guidance: 'be strict' }) },
      {
        ...base,
        criterion: judgeCriterion('accuracy', {
          tiers: [
            { score: 0, label: 'poor', description: 'misses the point' },
            { score: 3, label: 'good', description: 'fully right' },
          ],
        }),
      },
    ];
    const keys = new Set(variants.map(verdictCacheKey));
    assert.equal(keys.size, variants.length);
    assert.equal(keys.has(key), false);
    // Parts are separated, so moving text from one part to the next changes the key.
    assert.notEqual(
      verdictCacheKey({ ...base, prompt: 'pr', response: '' }),
      verdictCacheKey({ ...base, prompt: 'p', response: 'r' }),
    );
  });

  test('each sample has its own key; sample 0 keeps the key of a judge asked once', () => {
    const key = verdictCacheKey(base);
    assert.equal(verdictCacheKey({ ...base, sample: 0 }), key);
    const keys = [0, 1, 2, 3].map((sample) => verdictCacheKey({ ...base, sample }));
    assert.equal(new Set(keys).size, 4);
    assert.notEqual(
      verdictCacheKey({ ...base, sample: 1 }),
      verdictCacheKey({ ...base, mode: 'rubric', sample: 1 }),
      'the mode still counts',
    );
    assert.throws(() => verdictCacheKey({ ...base, sample: -1 }), /sample is a whole number >= 0/);
    assert.throws(() => verdictCacheKey({ ...base, sample: 1.5 }), /sample is a whole number >= 0/);
  });
});

describe('VerdictCache', () => {
  test('round-trips a verdict through one JSON file, leaving no temporary file', async () => {
    const cache = new VerdictCache({ dir: `${tmp.dir}/rt`, log: captureLogs().log });
    const key = verdictCacheKey(base);
    assert.equal(await cache.get(key), undefined);
    await cache.put({ key, verdict, model: 'm', promptVersion: 'v1' });
    assert.deepEqual(await cache.get(key), verdict);
    const files = readdirSync(`${tmp.dir}/rt`, { recursive: true }).map(String);
    assert.deepEqual(files.sort(), [key.slice(0, 2), `${key.slice(0, 2)}/${key}.json`]);
    const stored = JSON.parse(readFileSync(cache.pathOf(key), 'utf8'));
    assert.equal(stored.key, key);
    assert.equal(stored.model, 'm');
  });

  test('a damaged or misfiled entry is a miss, logged, and is overwritten by the next put', async () => {
    const { log, lines } = captureLogs();
    const cache = new VerdictCache({ dir: `${tmp.dir}/damaged`, log });
    const key = verdictCacheKey(base);
    mkdirSync(dirname(cache.pathOf(key)), { recursive: true });
    writeFileSync(cache.pathOf(key), '{"key": "half a fi');
    assert.equal(await cache.get(key), undefined);
    assert.match(lines.at(-1)!, /cached verdict is damaged/);
    const other = verdictCacheKey({ ...base, prompt: 'x' });
    mkdirSync(dirname(cache.pathOf(other)), { recursive: true });
    writeFileSync(
      cache.pathOf(other),
      JSON.stringify({ key, promptVersion: 'v1', model: 'm', createdAt: '', verdict }),
    );
    assert.equal(await cache.get(other), undefined);
    assert.match(lines.at(-1)!, /wrong key/);
    await cache.put({ key, verdict, model: 'm', promptVersion: 'v1' });
    assert.deepEqual(await cache.get(key), verdict);
  });

  test('concurrent writers of one key leave one whole file', async () => {
    const cache = new VerdictCache({ dir: `${tmp.dir}/race`, log: captureLogs().log });
    const key = verdictCacheKey(base);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        cache.put({ key, verdict: { ...verdict, reason: `r${i}` }, model: 'm', promptVersion: 'v1' }),
      ),
    );
    const got = await cache.get(key);
    assert.match(got?.reason ?? '', /^r\d+$/);
    assert.equal(readdirSync(dirname(cache.pathOf(key))).length, 1);
  });
});
