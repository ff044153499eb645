import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TransportError, ValidationError } from '../../util/errors.ts';
import type { Verdict } from '../verdict.ts';
import { AVERAGED_TIER_LABEL } from './combine-samples.ts';
import { disagreementRates, tallyDisagreement } from './disagreement.ts';
import { createJudge } from './llm-judge.ts';
import { captureLogs, judgeCriterion, judgeTestHooks, testConfig } from './test-fixtures.ts';
import { jsonReply, type RecordedRequest, type ReplyHandler, type ScriptedReply } from './test-server.ts';

/**
 * A judge asked `samples` times per criterion (or per rubric), over real HTTP to the scripted chat
 * server: the verdict is the mean of the scored samples, each sample is cached and budgeted on its
 * own, and the samples' disagreement is measured exactly.
 */

const PASS_FAIL = [
  { score: 0, label: 'fail', description: '' },
  { score: 1, label: 'pass', description: '' },
];
const criteria = () => [
  judgeCriterion('accuracy'),
  judgeCriterion('clarity'),
  judgeCriterion('brevity', { tiers: PASS_FAIL }),
];
const request = (list = [judgeCriterion('accuracy')]) => ({
  rubricId: 'test/rubric',
  prompt: 'What is the boiling point of water at sea level?',
  response: 'Water boils at 100 degrees Celsius at sea level.',
  criteria: list,
});

const hooks = judgeTestHooks();
const { log } = captureLogs();
const cacheDir = (name: string) => `${hooks.dir}/${name}`;

/** The criterion a per-criterion request asks about. */
function criterionAsked(req: RecordedRequest): string {
  const user = req.messages.find((m) => m.role === 'user')?.content ?? '';
  return /^Criterion "([^"]+)"/m.exec(user)?.[1] ?? '?';
}

const isRepair = (req: RecordedRequest) => req.messages.length > 2;

/**
 * Answers each criterion's requests from its own script, in arrival order (with concurrency 1,
 * sample 0 first); a tier of null answers something that is not JSON. Repairs get `repair`.
 */
function perCriterion(
  script: Record<string, (string | null)[]>,
  repair: ScriptedReply = { type: 'completion', content: 'still not JSON' },
): ReplyHandler {
  const queues = new Map(Object.entries(script).map(([id, tiers]) => [id, [...tiers]]));
  return (req) => {
    if (isRepair(req)) return repair;
    const id = criterionAsked(req);
    const tier = queues.get(id)?.shift();
    if (tier === undefined) return { type: 'error', status: 500, body: `no reply scripted for ${id}` };
    if (tier === null) return { type: 'completion', content: 'I cannot decide.' };
    return jsonReply({ reason: `${id}: ${tier}`, tier });
  };
}

const scoreOf = (v: Verdict) => (v.status === 'scored' ? v.tierScore : null);
const near = (actual: number | undefined, expected: number) =>
  assert.ok(actual !== undefined && Math.abs(actual - expected) < 1e-12, `${actual} is not ${expected}`);

describe('samples in per-criterion mode', () => {
  test('samples that disagree: the mean of their tiers, every sample kept; each is a request at the temperature', async () => {
    const server = await hooks.serve({ handler: perCriterion({ accuracy: ['good', 'fair', 'good'] }) });
    const config = testConfig({
      baseUrl: server.baseUrl,
      cacheDir: cacheDir('disagree'),
      samples: 3,
      temperature: 0.8,
      concurrency: 1,
    });
    const judge = createJudge(config, { log });
    const [v] = await judge.judge(request());
    assert.ok(v?.status === 'scored');
    assert.equal(v.tierScore, 5 / 3);
    assert.equal(v.tierLabel, AVERAGED_TIER_LABEL);
    assert.deepEqual(v.samples, [
      { status: 'scored', tierScore: 2, tierLabel: 'good', reason: 'accuracy: good' },
      { status: 'scored', tierScore: 1, tierLabel: 'fair', reason: 'accuracy: fair' },
      { status: 'scored', tierScore: 2, tierLabel: 'good', reason: 'accuracy: good' },
    ]);
    assert.match(v.reason, /^mean of 3 judge samples: \[1\] good \(2\): accuracy: good \| \[2\] fair/);
    assert.equal(server.requests.length, 3);
    for (const r of server.requests) assert.equal((r.body as { temperature: number }).temperature, 0.8);
    const stats = judge.stats();
    assert.deepEqual([stats.requests, stats.cacheMisses, stats.cacheHits, stats.unscorable], [3, 3, 0, 0]);

    // Every sample is cached: asked again, by this judge or a new one, nothing is sent.
    assert.deepEqual(await judge.judge(request()), [v]);
    assert.deepEqual(await createJudge(config, { log }).judge(request()), [v]);
    assert.equal(server.requests.length, 3);
    assert.equal(judge.stats().cacheHits, 3);
  });

  test('the disagreement of a known script is exact', async () => {
    const server = await hooks.serve({
      handler: perCriterion({
        accuracy: ['good', 'good', 'good'],
        clarity: ['poor', 'good', 'fair'],
        brevity: ['pass', 'fail', 'pass'],
      }),
    });
    const judge = createJudge(
      testConfig({
        baseUrl: server.baseUrl,
        cacheDir: cacheDir('exact'),
        samples: 3,
        temperature: 1,
        concurrency: 1,
      }),
      { log },
    );
    const list = criteria();
    const verdicts = await judge.judge(request(list));
    assert.equal(server.requests.length, 9, 'three criteria, three samples each');
    assert.deepEqual(verdicts.map(scoreOf), [2, 1, 2 / 3]);
    assert.deepEqual(
      verdicts.map((v) => v.status === 'scored' && v.tierLabel),
      ['good', AVERAGED_TIER_LABEL, AVERAGED_TIER_LABEL],
    );
    const tally = tallyDisagreement(verdicts.map((verdict, k) => ({ verdict, topScore: list[k]!.topScore })));
    assert.deepEqual(tally.byCriterion, {
      accuracy: { compared: 1, disagreeing: 0 },
      clarity: { compared: 1, disagreeing: 1 },
      brevity: { compared: 1, disagreeing: 1 },
    });
    const rates = disagreementRates(tally)!;
    assert.equal(rates.compared, 3);
    near(rates.disagreementRate, 2 / 3);
    // Spreads 0, (2 - 0) / 2 = 1 and (1 - 0) / 1 = 1.
    near(rates.meanSpread, 2 / 3);
    // Normalised clarity 0, 1, 0.5: variance 1/6; brevity 1, 0, 1: variance 2/9.
    near(rates.meanStd, (0 + Math.sqrt(1 / 6) + Math.sqrt(2 / 9)) / 3);
    assert.deepEqual(rates.byCriterion, { accuracy: 0, clarity: 1, brevity: 1 });
  });

  test('unscorable samples are left out of the mean; all unscorable is unscorable, never 0', async () => {
    const server = await hooks.serve({
      handler: perCriterion({ accuracy: ['good', null, 'poor'], clarity: [null, null] }),
    });
    const config = testConfig({
      baseUrl: server.baseUrl,
      cacheDir: cacheDir('unscorable'),
      samples: 3,
      temperature: 0.5,
      concurrency: 1,
    });
    const [accuracy] = await createJudge(config, { log }).judge(request());
    assert.ok(accuracy?.status === 'scored');
    assert.equal(accuracy.tierScore, 1, 'the mean of 2 and 0; the malformed sample adds nothing');
    assert.deepEqual(
      accuracy.samples?.map((s) => s.status),
      ['scored', 'unscorable', 'scored'],
    );
    assert.match(accuracy.samples?.[1]?.reason ?? '', /^malformed judge reply after one repair attempt/);
    assert.match(accuracy.reason, /^mean of 2 scored of 3 judge samples/);
    assert.equal(server.requests.length, 4, 'three samples and one repair');

    const judge = createJudge({ ...config, samples: 2 }, { log });
    const [clarity] = await judge.judge(request([judgeCriterion('clarity')]));
    assert.equal(clarity?.status, 'unscorable');
    assert.equal(clarity !== undefined && 'tierScore' in clarity, false);
    assert.match(clarity!.reason, /^all 2 judge samples unscorable: malformed judge reply/);
    assert.equal(clarity!.samples?.length, 2);
    assert.equal(judge.stats().unscorable, 1, 'one criterion unscorable, not one per sample');
  });

  test('a restart after some samples were cached asks only for the missing ones', async () => {
    let answered = 0;
    const server = await hooks.serve({
      replies: [
        jsonReply({ reason: 'right', tier: 'good' }),
        { type: 'error', status: 500 },
        jsonReply({ reason: 'partly', tier: 'fair' }),
      ],
      handler: () => {
        answered++;
        return jsonReply({ reason: 'wrong', tier: 'poor' });
      },
    });
    const config = testConfig({
      baseUrl: server.baseUrl,
      cacheDir: cacheDir('restart'),
      samples: 3,
      temperature: 0.7,
      concurrency: 1,
      maxRetries: 0,
    });
    // Sample 1 fails after samples 0 and 2 were asked for: the call fails, but they are cached.
    await assert.rejects(createJudge(config, { log }).judge(request()), TransportError);
    assert.equal(server.requests.length, 3);

    const restarted = createJudge(config, { log });
    const [v] = await restarted.judge(request());
    assert.equal(server.requests.length, 4, 'one request: the sample that failed');
    assert.equal(answered, 1);
    assert.ok(v?.status === 'scored');
    assert.deepEqual(
      v.samples?.map((s) => (s.status === 'scored' ? s.tierLabel : s.status)),
      ['good', 'poor', 'fair'],
      'each sample in its place',
    );
    assert.equal(v.tierScore, 1);
    const stats = restarted.stats();
    assert.deepEqual([stats.requests, stats.cacheHits, stats.cacheMisses], [1, 2, 1]);
  });

  test('identical calls at once share each sample: one request per sample', async () => {
    const server = await hooks.serve({
      handler: () => jsonReply({ reason: 'right', tier: 'good' }, { delayMs: 20 }),
    });
    const judge = createJudge(
      testConfig({ baseUrl: server.baseUrl, cacheDir: cacheDir('shared'), samples: 2, temperature: 1 }),
      { log },
    );
    const [a, b] = await Promise.all([judge.judge(request()), judge.judge(request())]);
    assert.deepEqual(a, b);
    assert.equal(server.requests.length, 2);
    assert.deepEqual([judge.stats().cacheMisses, judge.stats().cacheHits], [2, 2]);
  });
});

describe('samples in rubric mode', () => {
  test('one call per sample grades every criterion; each criterion gets the mean of its samples', async () => {
    const tiers = [
      { accuracy: 'good', clarity: 'fair', brevity: 'pass' },
      { accuracy: 'good', clarity: 'poor', brevity: 'fail' },
    ];
    let call = 0;
    const server = await hooks.serve({
      handler: () => {
        const t = tiers[call++]!;
        return jsonReply({
          verdicts: Object.entries(t).map(([criterion, tier]) => ({
            criterion,
            reason: `the answer's ${criterion} is ${tier}`,
            tier,
          })),
        });
      },
    });
    const judge = createJudge(
      testConfig({
        baseUrl: server.baseUrl,
        cacheDir: cacheDir('rubric'),
        mode: 'rubric',
        samples: 2,
        temperature: 0.9,
        concurrency: 1,
      }),
      { log },
    );
    const verdicts = await judge.judge(request(criteria()));
    assert.equal(server.requests.length, 2, 'one request per sample, not per criterion');
    assert.deepEqual(verdicts.map(scoreOf), [2, 0.5, 0.5]);
    assert.deepEqual(
      verdicts.map((v) => v.samples?.map((s) => (s.status === 'scored' ? s.tierLabel : s.status))),
      [
        ['good', 'good'],
        ['fair', 'poor'],
        ['pass', 'fail'],
      ],
    );
  });
});

describe('budgets count every sample', () => {
  test('the request budget: samples past it are unscorable and not cached; a later judge pays only for them', async () => {
    const server = await hooks.serve({ handler: () => jsonReply({ reason: 'ok', tier: 'good' }) });
    const config = testConfig({
      baseUrl: server.baseUrl,
      cacheDir: cacheDir('request-budget'),
      samples: 3,
      temperature: 1,
      concurrency: 1,
      requestBudget: 4,
    });
    const judge = createJudge(config, { log });
    const two = [judgeCriterion('accuracy'), judgeCriterion('clarity')];
    const verdicts = await judge.judge(request(two));
    assert.equal(server.requests.length, 4, 'samples 0 and 1 of both criteria');
    const stats = judge.stats();
    assert.deepEqual([stats.requests, stats.budgetRefusals], [4, 2]);
    for (const v of verdicts) {
      assert.deepEqual(
        v.samples?.map((s) => s.status),
        ['scored', 'scored', 'unscorable'],
      );
      assert.equal(v.samples?.[2]?.reason, 'request budget exhausted');
    }
    const later = createJudge({ ...config, requestBudget: 100 }, { log });
    const again = await later.judge(request(two));
    assert.equal(server.requests.length, 6, 'only the two refused samples');
    assert.ok(again.every((v) => v.samples?.every((s) => s.status === 'scored')));
  });

  test('the token budget: each sample is a request that spends tokens', async () => {
    const usage = { prompt_tokens: 30, completion_tokens: 10, total_tokens: 40 };
    const server = await hooks.serve({ handler: () => jsonReply({ reason: 'ok', tier: 'fair' }, { usage }) });
    const judge = createJudge(
      testConfig({
        baseUrl: server.baseUrl,
        cacheDir: cacheDir('token-budget'),
        samples: 3,
        temperature: 1,
        concurrency: 1,
        tokenBudget: 100,
      }),
      { log },
    );
    const verdicts = await judge.judge(request([judgeCriterion('accuracy'), judgeCriterion('clarity')]));
    // Six samples; 0, 40 and 80 tokens were spent before the first three, then 120.
    assert.equal(server.requests.length, 3);
    const stats = judge.stats();
    assert.deepEqual([stats.promptTokens + stats.completionTokens, stats.budgetRefusals], [120, 3]);
    assert.deepEqual(
      verdicts.map((v) => v.samples?.map((s) => s.status)),
      [
        ['scored', 'scored', 'unscorable'],
        ['scored', 'unscorable', 'unscorable'],
      ],
    );
  });
});

describe('bad samples settings', () => {
  const base = { baseUrl: 'http://127.0.0.1:1/v1', cacheDir: '/tmp/never-used' };
  const refused = (pattern: RegExp) => (e: unknown) =>
    e instanceof ValidationError && pattern.test(e.message);
  test('0, a fraction, or more than 1 at temperature 0 are refused, naming samples', () => {
    assert.throws(
      () => createJudge(testConfig({ ...base, samples: 0 })),
      refused(/field samples: judge config: expected a whole number of samples/),
    );
    assert.throws(
      () => createJudge(testConfig({ ...base, samples: 1.5, temperature: 1 })),
      refused(/field samples: judge config: expected a whole number of samples/),
    );
    assert.throws(
      () => createJudge(testConfig({ ...base, samples: 2 })),
      refused(/field samples: judge config: expected samples > 1 only with temperature > 0/),
    );
    assert.throws(
      () => createJudge(testConfig({ ...base, samples: 2, temperature: 0 })),
      refused(/field samples: .*temperature > 0/),
    );
    assert.doesNotThrow(() => createJudge(testConfig({ ...base, samples: 1 })));
  });
});
