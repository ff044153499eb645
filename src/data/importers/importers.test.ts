import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { BUNDLED_RUBRICS_DIR } from '../../rubric/default-corpus.ts';
import { LazyRubricCorpus } from '../../rubric/lazy-corpus.ts';
import { importArenaHard } from './arena-hard.ts';
import { importIfevalPrompts } from './ifeval.ts';
import { importWritingBench } from './writingbench.ts';

const DATA = resolve(import.meta.dirname, '../../../../shared/data');
const corpusIds = new Set(new LazyRubricCorpus([BUNDLED_RUBRICS_DIR]).ids());

describe('prompt importers', () => {
  it('IFEval: 541 eval-only prompts naming their bundled instance rubrics', () => {
    const prompts = importIfevalPrompts({ file: resolve(DATA, 'ifeval/input_data.jsonl') });
    assert.equal(prompts.length, 541);
    const first = prompts[0]!;
    assert.equal(first.record.id, 'ifeval/1000');
    assert.equal(first.record.rubricId, 'ifeval/1000');
    assert.match(first.record.prompt!, /^Write a 300\+ word summary of the wikipedia page/);
    assert.deepEqual(first.record.tags, ['ifeval', 'eval-only']);
    assert.equal(first.line, 1);
    for (const p of prompts) assert.ok(corpusIds.has(p.record.rubricId!), p.record.rubricId);
  });

  it('Arena-Hard v0.1 and v2.0: ids, version and category tags, category filter', () => {
    const v01 = importArenaHard({ file: resolve(DATA, 'arena_hard/arena-hard-v0.1_question.jsonl') });
    assert.equal(v01.length, 500);
    assert.equal(v01[0]!.record.id, 'arena-hard/v0.1/328c149ed45a41c0b9d6f14659e63599');
    assert.deepEqual(v01[0]!.record.tags, [
      'arena-hard',
      'arena-hard:v0.1',
      'cluster:abc-sequence-puzzles-groups',
    ]);
    const v2 = importArenaHard({ file: resolve(DATA, 'arena_hard/arena-hard-v2.0_question.jsonl') });
    assert.equal(v2.length, 750);
    const creative = importArenaHard({
      file: resolve(DATA, 'arena_hard/arena-hard-v2.0_question.jsonl'),
      categories: ['creative_writing'],
    });
    assert.equal(creative.length, 250);
    assert.deepEqual(creative[0]!.record.tags, [
      'arena-hard',
      'arena-hard:v2.0',
      'arena-hard:creative-writing',
    ]);
    const coding = v2.filter((p) => p.record.tags.includes('arena-hard:coding'));
    assert.equal(coding.length, 253);
    assert.ok(coding[0]!.record.tags.includes('arena-hard:hard-prompt'));
    assert.equal(new Set([...v01, ...v2].map((p) => p.record.id)).size, 1250);
  });

  it('WritingBench: one prompt per query of each subset, rubric ids matching rubrics/writingbench', () => {
    const prompts = importWritingBench({ dir: resolve(DATA, 'writingbench') });
    assert.equal(prompts.length, 395 + 342 + 222);
    for (const p of prompts) {
      assert.equal(p.record.rubricId, p.record.id);
      assert.ok(corpusIds.has(p.record.rubricId!), p.record.rubricId);
    }
    const english = importWritingBench({
      dir: resolve(DATA, 'writingbench'),
      subsets: ['style'],
      languages: ['en'],
    });
    assert.ok(english.length > 100 && english.length < 395);
    assert.ok(
      english.every((p) => p.record.tags.includes('lang:en') && p.record.tags.includes('subset:style')),
    );
  });

  it('names the file and line of a bad row', () => {
    assert.throws(
      () => importArenaHard({ file: resolve(DATA, 'ifeval/input_data.jsonl') }),
      /input_data\.jsonl:1, field uid: /,
    );
  });
});
