import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { LocalFolderStore } from '../src/store/local-store.ts';
import { readMetrics } from '../src/train/read-metrics.ts';
import { createActivityDeps } from './deps.ts';
import type { WriteMetricsInput, WriteMetricsOutput } from './types.ts';
import { writeMetricsActivity } from './write-metrics.ts';

const input = (step: number, at = '2026-01-01T00:00:00.000Z'): WriteMetricsInput => ({
  trainRunId: 'wm',
  step,
  purpose: 'train',
  stage: 'main',
  at,
  rollouts: {
    groups: 1,
    responses: 2,
    promptTokens: 8,
    newTokens: 4,
    truncated: 0,
    resumedGroups: 0,
    ms: 10,
  },
  judge: [],
  rewards: {
    responses: 2,
    scored: 2,
    mean: step / 10,
    std: 0,
    min: 0,
    max: 1,
    vetoed: 0,
    groups: 1,
    groupsDropped: 0,
    trainable: 2,
    rubricMeans: {},
    criterionMeans: {},
    ms: 1,
  },
});

describe('writeMetrics', () => {
  let dir: string;
  let store: LocalFolderStore;
  let write: (i: WriteMetricsInput, attempt?: number) => Promise<WriteMetricsOutput>;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'anchorage-write-metrics-'));
    store = new LocalFolderStore({ root: join(dir, 'store') });
    const activity = writeMetricsActivity(createActivityDeps({ store, dataDir: dir }));
    write = (i, attempt = 1) =>
      new MockActivityEnvironment({ attempt }).run(activity, i) as Promise<WriteMetricsOutput>;
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('writes one record per step and nothing else, so a step costs the same late in a run', async () => {
    for (let step = 1; step <= 12; step++) {
      const before = (await store.listRefs('runs/wm/')).length;
      await write(input(step));
      // One new ref per step: no run-wide file rewritten from every record.
      assert.equal((await store.listRefs('runs/wm/')).length, before + 1);
    }
    const lines = await readMetrics({ store, trainRunId: 'wm' });
    assert.deepEqual(
      lines.map((r) => r.step),
      Array.from({ length: 12 }, (_, i) => i + 1),
    );
    assert.equal(lines[2]!.metrics['reward/mean'], 0.3);
  });

  it('a retried attempt adds no line and answers with the record the first attempt committed', async () => {
    const first = await write(input(13, '2026-01-01T00:00:13.000Z'));
    // The retry sees another time (the workflow's clock moved on): the first record stays.
    const retry = await write(input(13, '2026-01-01T00:09:59.000Z'), 2);
    assert.equal(retry.record, first.record);
    assert.deepEqual(retry.metrics, first.metrics);
    const lines = (await readMetrics({ store, trainRunId: 'wm' })).filter((r) => r.step === 13);
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.at, '2026-01-01T00:00:13.000Z');
  });
});
