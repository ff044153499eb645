import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { LocalFolderStore } from '../../store/local-store.ts';
import { gatherReport } from '../data/gather-report.ts';
import { writeSyntheticRun } from '../testing/synthetic-run.ts';
import { renderReport } from './page.ts';

const root = mkdtempSync(join(tmpdir(), 'anchorage-report-page-'));
after(() => rmSync(root, { recursive: true, force: true }));

async function page(): Promise<string> {
  const store = new LocalFolderStore({ root: join(root, 'store') });
  const trainRunId = await writeSyntheticRun(store);
  const data = await gatherReport({
    store,
    trainRunId,
    webUiUrl: () => 'http://localhost:8233/namespaces/default/workflows/synthetic-run',
    live: async () => ({
      status: 'failed',
      totalSteps: 4,
      completedSteps: 2,
      currentStep: null,
      failure: { step: 3, type: 'NonFiniteError', message: 'loss is NaN' },
    }),
  });
  return renderReport(data);
}

/** `assert.match` without printing the whole page when it fails. */
function has(html: string, pattern: RegExp, what: string): void {
  assert.ok(pattern.test(html), `the page shows ${what} (${pattern})`);
}

/** Every `<svg data-chart>` with the number of its data points. */
function charts(html: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of html.matchAll(/<svg [^>]*data-chart="([^"]+)"[^>]*>([\s\S]*?)<\/svg>/g)) {
    out.set(m[1]!, [...m[2]!.matchAll(/data-point=""/g)].length);
  }
  return out;
}

test('one self-contained document: no script, nothing loaded from elsewhere', async () => {
  const html = await page();
  has(html, /^<!doctype html>/, 'a doctype');
  assert.ok(!/<script|<link|<img|<iframe|@import|url\(http/i.test(html), 'no script or external resource');
  const external = [...html.matchAll(/(?:src|href)="([^"#][^"]*)"/g)].map((m) => m[1]);
  assert.deepEqual(external, ['http://localhost:8233/namespaces/default/workflows/synthetic-run']);
});

test('every chart has points; the recorded values, the suite metric and the config are shown', async () => {
  const html = await page();
  const found = charts(html);
  for (const id of [
    'reward',
    'criteria',
    'loss',
    'entropy',
    'judge-disagreement',
    'eval-reward',
    'eval-criteria',
    'eval-suite-x',
  ]) {
    assert.ok((found.get(id) ?? 0) > 0, `chart ${id} has points (${[...found].join(', ')})`);
  }
  for (const [id, points] of found) assert.ok(points > 0, `chart ${id} has no point`);
  has(
    html,
    /data-chart="eval-suite-x"[\s\S]*?data-series="accuracy" data-x="2" data-y="0.6"/,
    'the point of a metric another suite added',
  );
  has(
    html,
    /data-chart="reward"[\s\S]*?data-series="greedy answers" data-x="1" data-y="0.45"/,
    "the greedy members' reward beside the batch mean",
  );
  has(html, /name: synthetic\nsteps: 4/, 'the configuration text');
  has(html, /not recorded in this run \(kl\/ref, kl\/old\)/, 'a note for the KL that was not recorded');
});

test('a failed step, an unrecorded one and an unscorable one are marked as such, never drawn as 0', async () => {
  const html = await page();
  has(
    html,
    /data-chart="reward"[\s\S]*?data-mark="failed" data-x="3"><title>step 3 failed: NonFiniteError: loss is NaN/,
    'the failed step marked on the reward chart',
  );
  has(html, /data-chart="reward"[\s\S]*?data-mark="n\/a" data-x="2"/, 'the unscorable step marked n/a');
  const reward = /<svg [^>]*data-chart="reward"[\s\S]*?<\/svg>/.exec(html)![0];
  assert.deepEqual(
    [...reward.matchAll(/data-series="([^"]+)" data-x="(\d+)" data-y="([^"]+)"/g)].map((m) => [
      m[1],
      m[2],
      m[3],
    ]),
    [
      ['mean reward', '1', '0.5'],
      ['greedy answers', '1', '0.45'],
    ],
    'only step 1 has reward points',
  );
  has(
    html,
    /<tr class="state-failed"><td class="num">3<\/td><td><\/td><td colspan="14">failed: NonFiniteError: loss is NaN/,
    'the failed step in the table',
  );
  has(
    html,
    /<tr class="state-done"><td class="num">2<\/td>[\s\S]*?<td class="na">n\/a<\/td>/,
    'n/a in the table row of the unscorable step',
  );
  has(html, /reward n\/a: unscorable/, 'the unscorable answer');
  has(
    html,
    /data-chart="eval-suite-y"[\s\S]*?data-mark="failed" data-x="2"><title>suite-y after step 2 failed: SuiteError: the suite crashed/,
    'the failed suite marked on its chart',
  );
  has(
    html,
    /Evaluation: suite-z<\/h3><p class="empty">suite-z failed at every evaluation/,
    'a suite that never measured',
  );
  has(
    html,
    /<li>after step 2: <strong>suite-z<\/strong> failed: SuiteError: never ran<\/li>/,
    'the failures listed',
  );
  has(
    html,
    /<td>suite-y\/rate<\/td><td class="num">0.4<\/td><td class="na failed">failed<\/td>/,
    'failed in the table',
  );
  has(html, /waves\u2401/, 'control characters of an answer are shown');
});
