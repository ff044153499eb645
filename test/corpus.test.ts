import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { loadCorpus } from '../src/rubric/corpus.ts';
import { type ResolvedRubric, resolveAll } from '../src/rubric/resolve.ts';
import { defaultVerifiers } from '../src/rubric/verifiers/index.ts';
import { listLexicons } from '../src/rubric/verifiers/text/lexicon.ts';
import type { ValidationError } from '../src/util/errors.ts';

// The CI gate for the rubric corpus: every file under rubrics/ loads, and every rubric resolves
// against the built-in verifiers (ids unique, includes present, verifier parameters valid).
const RUBRICS = fileURLToPath(new URL('../rubrics/', import.meta.url));

const errors: ValidationError[] = [];
const corpus = loadCorpus([RUBRICS], { onError: (e) => errors.push(e) });
const resolved = resolveAll({ corpus, verifiers: defaultVerifiers(), onError: (e) => errors.push(e) });
const byId = new Map<string, ResolvedRubric>(resolved.map((r) => [r.id, r]));

test('every rubric file loads and every rubric resolves', () => {
  assert.deepEqual(
    errors.map((e) => e.message),
    [],
  );
  assert.equal(resolved.length, corpus.size);
  assert.ok(corpus.size > 900, `${corpus.size} rubrics`);
});

test('rubrics that must score without a judge are verifier-only', () => {
  for (const id of ['defence/reward-hacking', 'style/human-tone', 'style/concision']) {
    const r = byId.get(id);
    assert.ok(r !== undefined, id);
    assert.ok(
      r.criteria.every((c) => c.evaluator.type === 'verifier'),
      `${id} has judge criteria`,
    );
  }
  const rules = byId.get('defence/reward-hacking')!;
  assert.ok(rules.criteria.every((c) => c.kind === 'veto' && c.vetoThreshold === 0.5));
  assert.ok(
    byId
      .get('defence/reward-hacking-judge')!
      .criteria.some((c) => c.evaluator.type === 'judge' && c.kind === 'score'),
  );
});

test('the defence rules alone never make a rubric that includes them scorable', () => {
  // Coverage counts positive-weight criteria; the always-scored rules must not reach the minimum
  // fraction on their own, or a judge outage would score responses on "no tricks found" alone.
  for (const r of resolved) {
    if (r.id.startsWith('defence/') || !r.sources.includes('defence/reward-hacking')) continue;
    const positive = r.criteria.filter((c) => c.weight > 0);
    const rules = positive.filter((c) => c.fromRubric === 'defence/reward-hacking').length;
    assert.ok(
      rules < r.aggregation.minScoredFraction * positive.length - 1e-9,
      `${r.id}: ${rules} defence rules of ${positive.length} criteria reach minScoredFraction ${r.aggregation.minScoredFraction}`,
    );
  }
});

test('WritingBench instance rubrics: three subsets, five judged criteria each, with the defence rules', () => {
  const wb = resolved.filter((r) => r.id.startsWith('writingbench/'));
  assert.equal(wb.length, 395 + 342 + 222);
  for (const r of wb) {
    assert.equal(r.scope, 'instance');
    assert.ok(r.prompt !== undefined && r.prompt.length > 0, r.id);
    assert.equal(r.criteria.filter((c) => c.evaluator.type === 'judge').length, 5, r.id);
    assert.deepEqual(r.sources, [r.id, 'defence/reward-hacking']);
  }
});

test('every lexicon the rubrics name is shipped in rubrics/lexicons/', () => {
  const names = new Set<string>();
  for (const r of resolved) {
    for (const c of r.criteria) {
      if (c.evaluator.type !== 'verifier' || c.evaluator.name !== 'text.lexicon-rate') continue;
      const p = c.evaluator.params as { lexicon: string | string[]; exclude: string[] };
      for (const n of [p.lexicon, p.exclude].flat()) names.add(n);
    }
  }
  assert.ok(names.size >= 5, [...names].join(', '));
  const shipped = new Set(listLexicons(join(RUBRICS, 'lexicons')));
  for (const n of names) assert.ok(shipped.has(n), `lexicon ${n} is in rubrics/lexicons/`);
});
