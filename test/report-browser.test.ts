import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { storedRunIds } from '../src/report/data/stored-runs.ts';
import { storeRunConfig } from '../src/train/stored-config.ts';
import { TINY_CHAT_TEMPLATE, writeShortIfevalPrompts } from '../src/train/testing/tiny-run.ts';
import { signalRun, startTrainingRun } from '../src/client/run-client.ts';
import { chromiumPath, openInChromium } from './chromium.ts';
import { runProgress } from '../src/client/history-waits.ts';
import {
  type InProcessTemporal,
  prepareFile,
  startInProcessTemporal,
  tinyTaskQueues,
  writeTinyRun,
} from './temporal-harness.ts';
import { spawnAnchorage } from '../src/cli/testing/cli-runner.ts';

/** Kept after the test (overwritten by the next run) so the page can be looked at. */
const SCREENSHOT = join(tmpdir(), 'anchorage-report-test', 'report.png');

/** `anchorage <args>` in a child process (its log lines kept off the test's output). */
const anchorage = (args: string[], env: NodeJS.ProcessEnv) =>
  spawnAnchorage(args, { ANCHORAGE_LOG_LEVEL: 'fatal', ...env });

/** What the page shows, read in the browser. */
interface PageFacts {
  charts: Array<{ id: string; points: number; drawn: boolean }>;
  marks: Array<{ chart: string; kind: string; x: number }>;
  answers: number[][];
  uiLink: string | null;
}

/**
 * Read in the page (plain JavaScript: this project's TypeScript has no DOM types): each chart with
 * its data points (and whether they have a size on screen), the marks, the steps of each held-out
 * prompt's answers, and the Web UI link.
 */
const READ_PAGE = `(() => ({
  charts: [...document.querySelectorAll('svg[data-chart]')].map((svg) => {
    const points = [...svg.querySelectorAll('[data-point]')];
    return {
      id: svg.dataset.chart,
      points: points.length,
      drawn: points.length > 0 && points.every((p) => p.getBoundingClientRect().width > 0),
    };
  }),
  marks: [...document.querySelectorAll('svg[data-chart] [data-mark]')].map((m) => ({
    chart: m.closest('svg[data-chart]').dataset.chart,
    kind: m.dataset.mark,
    x: Number(m.dataset.x),
  })),
  answers: [...document.querySelectorAll('article.held-out')].map((a) =>
    [...a.querySelectorAll('.answer')].map((e) => Number(e.dataset.step)),
  ),
  uiLink: document.querySelector('dl.facts a')?.getAttribute('href') ?? null,
}))()`;

/**
 * `anchorage report` on a real run: the tiny model trained through a real Temporal server with
 * in-process workers, evaluated after steps 0, 2 and 4, with one step made to fail (a KL coefficient
 * beyond float32 makes its loss NaN), and an IFEval suite on every evaluation. The page opens in headless Chromium (Debian's; see
 * test/chromium.ts) with no console error and no request beyond the file, every chart has drawn
 * points, and the failed step is marked as failed. A screenshot is kept at `SCREENSHOT`.
 */
describe('anchorage report in a real browser (real server, tiny model)', () => {
  const queues = tinyTaskQueues('report-test');
  let fixture: InProcessTemporal | undefined;

  before(async () => {
    fixture = await startInProcessTemporal({
      queues,
      dirPrefix: 'anchorage-report-',
      chatTemplate: TINY_CHAT_TEMPLATE,
    });
  });
  after(async () => {
    await fixture?.stop();
  });

  it('renders every plot with data, marks the failed step, and has no console error', async (t) => {
    chromiumPath(); // No browser: fail at once, with the install command, before a run is trained.
    const { env, model, dir, storeDir, store } = fixture!;
    const file = await writeTinyRun({
      dir: join(dir, 'run'),
      queuePrefix: 'report-test',
      modelPath: model.path,
      storeDir,
      steps: 8,
      prompts: 4,
      promptsPerStep: 2,
      groupSize: 4,
      // Slow learning keeps rewards varying within groups, so the step made to fail has an update to fail.
      learningRate: 1e-4,
      evaluationEvery: 2,
      // A suite's numbers (eval/ifeval/...) beside the held-out reward, as a real run records them.
      evaluation: {
        suites: [
          {
            name: 'ifeval',
            prompts: await writeShortIfevalPrompts(join(dir, 'ifeval.jsonl')),
            limit: 2,
            maxNewTokens: 8,
          },
        ],
      },
    });
    const { prepared, text } = await prepareFile(file);
    const run = await startTrainingRun({
      client: env.client,
      store,
      prepared,
      file,
      text,
      trainRunId: 'report-run',
    });

    // Two evaluations after the base one, then a step that fails and waits for resume or stop.
    // Each wait is asked again only when the run's workflow completes a task (its history, long-polled).
    const progress = (what: string, until: Parameters<typeof runProgress>[0]['until']) =>
      runProgress({ client: env.client, trainRunId: run.trainRunId, what, until });
    await progress('4 steps', (p) => p.completedSteps >= 4);
    await signalRun.pause(env.client, run.trainRunId);
    const paused = await progress('the pause', (p) => p.status === 'paused');
    await signalRun.resume(env.client, run.trainRunId, { overrides: { klCoefficient: 1e39 } });
    const failed = await progress('the failed step', (p) => p.status === 'failed').catch((err) => {
      throw new Error(`${err}; paused at ${JSON.stringify(paused)}`);
    });
    // The next step that has an update to apply fails (a step whose groups all tie applies none).
    const failedStep = failed.failure!.step;
    assert.ok(failedStep > paused.completedSteps, `step ${failedStep} failed after ${paused.completedSteps}`);
    assert.equal(failed.failure?.type, 'NonFiniteError');

    const html = join(dir, 'report', 'report-run.html');
    const made = await anchorage(['report', run.trainRunId, '--store', storeDir, '--out', html], {
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_UI_URL: '',
    });
    assert.equal(made.code, 0, made.stderr);
    assert.equal(made.stdout.trim(), html);

    const opened = await openInChromium({ file: html });
    try {
      const facts = await opened.page.evaluate<PageFacts>(READ_PAGE);
      await mkdir(join(SCREENSHOT, '..'), { recursive: true });
      await opened.page.screenshot({ path: SCREENSHOT, fullPage: true });
      t.diagnostic(
        `screenshot: ${SCREENSHOT}; charts ${facts.charts.map((c) => `${c.id}:${c.points}`).join(' ')}`,
      );

      assert.deepEqual(opened.errors, [], 'no console errors');
      assert.deepEqual(opened.external, [], 'nothing requested beyond the file');
      const ids = facts.charts.map((c) => c.id);
      for (const id of [
        'reward',
        'criteria',
        'loss',
        'entropy',
        'clip-fraction',
        'response-length',
        'truncated',
        'zero-variance',
        'time',
        'eval-reward',
        'eval-criteria',
        'eval-ifeval',
      ]) {
        assert.ok(ids.includes(id), `chart ${id} is on the page (${ids.join(', ')})`);
      }
      for (const chart of facts.charts) {
        assert.ok(chart.points > 0 && chart.drawn, `chart ${chart.id} has drawn data points`);
      }
      assert.ok(
        facts.marks.some((m) => m.chart === 'reward' && m.kind === 'failed' && m.x === failedStep),
        `the reward chart marks step ${failedStep} as failed (${JSON.stringify(facts.marks)})`,
      );
      // Evaluations follow every second committed step: the last one is before the failed step.
      const lastEval = 2 * Math.floor((failedStep - 1) / 2);
      assert.ok(
        facts.answers.length >= 1 && facts.answers.length <= 3,
        `${facts.answers.length} held-out prompts`,
      );
      for (const a of facts.answers)
        assert.deepEqual(a, [0, lastEval], 'answers at the first and last evaluation');
      assert.match(facts.uiLink ?? '', /\/namespaces\/default\/workflows\/report-run$/);
    } finally {
      await opened.browser.close();
    }

    await signalRun.stop(env.client, run.trainRunId);
    assert.equal((await run.handle.result()).status, 'stopped');
  });

  it('an unknown run id is refused, naming it and the runs in the store', async () => {
    const { store, storeDir } = fixture!;
    await storeRunConfig({ store, trainRunId: 'other-run', file: 'run.yaml', text: 'steps: 1\n' });
    const r = await anchorage(['report', 'no-such-run', '--store', storeDir, '--no-temporal'], {});
    assert.equal(r.code, 2);
    const listed = (await storedRunIds(store)).join(', ');
    assert.ok(listed.includes('other-run'), listed);
    assert.equal(
      r.stderr.trim(),
      `anchorage: no training run 'no-such-run' in the store at ${storeDir}; runs there: ${listed}`,
    );
  });
});
