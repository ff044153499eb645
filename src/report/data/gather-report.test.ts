import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { LocalFolderStore } from '../../store/local-store.ts';
import { writeSyntheticRun } from '../testing/synthetic-run.ts';
import { gatherReport } from './gather-report.ts';
import { UnknownRunError } from './stored-runs.ts';

const root = mkdtempSync(join(tmpdir(), 'anchorage-report-gather-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('gatherReport', async () => {
  const store = new LocalFolderStore({ root: join(root, 'store') });
  const trainRunId = await writeSyntheticRun(store);

  it('an unknown run id names the id and lists the runs in the store', async () => {
    await assert.rejects(gatherReport({ store, trainRunId: 'no-such-run' }), (err: unknown) => {
      assert.ok(err instanceof UnknownRunError);
      assert.match(err.message, /no training run 'no-such-run'/);
      assert.match(err.message, /runs there: synthetic-run/);
      return true;
    });
    const empty = new LocalFolderStore({ root: join(root, 'empty') });
    await assert.rejects(gatherReport({ store: empty, trainRunId: 'x' }), /it holds no runs/);
  });

  it('reads steps, evaluations and held-out answers; failed and unscored steps stay distinct from 0', async () => {
    const data = await gatherReport({
      store,
      trainRunId,
      webUiUrl: (where) => `ui for ${where.address ?? 'env'}`,
      now: () => new Date('2026-01-02T00:00:00Z'),
    });
    assert.equal(data.header.totalSteps, 4);
    assert.equal(data.header.modelName, 'tiny-test');
    assert.equal(data.header.webUiUrl, 'ui for env');
    assert.equal(data.header.live, null);
    assert.deepEqual(
      data.steps.map((s) => s.state.kind),
      ['done', 'done', 'incomplete', 'not-run'],
    );
    assert.equal(data.steps[1]!.metrics['reward/mean'], undefined);
    assert.deepEqual(
      data.evals.map((e) => [e.step, e.metrics['reward/mean'], e.metrics['suite-x/accuracy']]),
      [
        [0, 0.25, 0.2],
        [2, 1, 0.6],
      ],
    );
    assert.equal(data.heldOut.length, 2);
    const [first, second] = data.heldOut;
    assert.deepEqual(
      first!.answers.map((a) => [a.step, a.text, a.reward.status]),
      [
        [0, 'the sea, the sea', 'scored'],
        [2, '# The Sea\nblue', 'scored'],
      ],
    );
    assert.deepEqual(
      first!.answers[0]!.criteria.map((c) => [c.criterionId, c.status, c.tierScore]),
      [
        ['has-title', 'scored', 1],
        ['no-comma', 'scored', 0],
      ],
    );
    const later = second!.answers[1]!;
    assert.equal(later.reward.status, 'unscorable');
    assert.deepEqual(
      later.criteria.map((c) => [c.status, c.reason]),
      [
        ['unscorable', 'the judge did not answer'],
        ['unscorable', 'judge reply malformed'],
      ],
    );
    assert.equal(data.heldOutNote, null);
  });

  it('takes the failed step and the plan from the live state', async () => {
    const data = await gatherReport({
      store,
      trainRunId,
      live: async () => ({
        status: 'failed',
        totalSteps: 4,
        completedSteps: 2,
        currentStep: null,
        failure: { step: 3, type: 'NonFiniteError', message: 'loss is NaN' },
        somethingElse: true,
      }),
    });
    assert.deepEqual(data.steps[2]!.state, {
      kind: 'failed',
      type: 'NonFiniteError',
      message: 'loss is NaN',
    });
    assert.equal(data.header.live?.status, 'failed');
  });

  it('a live state that is not one is refused at the boundary', async () => {
    await assert.rejects(gatherReport({ store, trainRunId, live: async () => ({ status: 3 }) }), /status/);
  });
});
