import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { Policy } from '../src/engine/policy.ts';
import { defaultModelPath, SETUP_MODEL_COMMAND } from '../src/models/default-model.ts';
import { corpusFor } from '../src/rubric/default-corpus.ts';
import { createJudgeFromFile, type JudgeDeps } from '../src/rubric/judge/llm-judge.ts';
import { REPLY_PLACEHOLDERS } from '../src/rubric/judge/prompts.ts';
import { echoedPlaceholder } from '../src/rubric/judge/reply.ts';
import { captureLogs } from '../src/rubric/judge/test-fixtures.ts';
import { type ResolvedRubric, resolveRubric } from '../src/rubric/resolve.ts';
import { scoreResponse } from '../src/rubric/score.ts';
import type { Verdict } from '../src/rubric/verdict.ts';
import { defaultVerifiers } from '../src/rubric/verifiers/index.ts';
import { ChatServer, DEFAULT_LIMITS } from '../src/serve/chat-server.ts';
import { type ChatModel, ServedModel } from '../src/serve/served-model.ts';

// A real local judge (issue 12): `anchorage serve`'s server on SmolLM2, in this process on a free
// port, and the LLM judge pointed at it by a judge config file, scoring responses against a corpus
// rubric through the same HTTP client a vLLM or OpenAI judge uses. It checks the plumbing, not the
// small model's taste: verdicts parse (the verdict schema is decoded under), carry reasons, are
// cached (a second scoring, in this process or by `anchorage score`, sends nothing), and the judge
// counts the requests and tokens the server reports. Failure modes (timeouts, garbage, 429) are
// tested against the scripted server in src/rubric/judge/. Skipped only when the model file is
// absent; CI installs it first.
const modelPath = defaultModelPath();
const skip = existsSync(modelPath)
  ? false
  : `model file ${modelPath} is missing: run \`${SETUP_MODEL_COMMAND}\``;

const MODEL = 'smollm2';
const RUBRIC = 'style/plain-narrative';
const JUDGED = 'narrative.plain-telling';
const PROMPT = 'Write two sentences about a walk in the rain.';
const RESPONSES = [
  'I walked to the shop in the rain. My shoes got wet and I bought bread.',
  'The silver tears of heaven danced upon the cobblestones, whispering ancient secrets of longing. A tapestry of melancholy unfurled beneath my weary, wandering soul.',
];

/** The served model, counting the sequences it generates and those decoded under a constraint. */
class CountingModel implements ChatModel {
  generations = 0;
  constrained = 0;
  constructor(private readonly inner: ServedModel) {}
  get id() {
    return this.inner.id;
  }
  get contextLength() {
    return this.inner.contextLength;
  }
  get stopIds() {
    return this.inner.stopIds;
  }
  encodeChat(messages: Parameters<ChatModel['encodeChat']>[0]) {
    return this.inner.encodeChat(messages);
  }
  decode(ids: readonly number[]) {
    return this.inner.decode(ids);
  }
  generate(options: Parameters<ChatModel['generate']>[0]) {
    this.generations++;
    if (options.constraint !== undefined) this.constrained++;
    return this.inner.generate(options);
  }
  close(options: { graceMs: number }) {
    return this.inner.close(options);
  }
}

/**
 * Judge deps whose fetch (the global one) counts the HTTP requests the judge sends. The fence nonce
 * is fixed so that the prompts, and so SmolLM2's greedy verdicts, are the same on every run.
 */
function countingDeps(): { deps: JudgeDeps; fetches: () => number } {
  let fetches = 0;
  const { log } = captureLogs();
  const deps: JudgeDeps = {
    log,
    nonce: () => '5eed5eed5eed5eed5eed5eed',
    fetch: (input, init) => {
      fetches++;
      return globalThis.fetch(input, init);
    },
  };
  return { deps, fetches: () => fetches };
}

const judgedVerdict = (verdicts: readonly Verdict[]) => verdicts.find((v) => v.criterionId === JUDGED)!;

describe('the LLM judge on anchorage serve (SmolLM2)', { skip }, () => {
  let server: ChatServer;
  let model: CountingModel;
  let dir: string;
  let judgeFile: string;
  let rubric: ResolvedRubric;
  const verifiers = defaultVerifiers();
  const score = (options: { response: string; judge: ReturnType<typeof createJudgeFromFile> }) =>
    scoreResponse({ rubric, prompt: PROMPT, response: options.response, verifiers, judge: options.judge });

  before(async () => {
    const policy = await Policy.load({ model: modelPath });
    const served = new ServedModel(policy, { id: MODEL, slots: 4 });
    model = new CountingModel(served);
    server = new ChatServer(model, { ...DEFAULT_LIMITS, slots: 4, queue: 4 });
    await served.warm();
    const url = await server.listen({ port: 0, host: '127.0.0.1' });
    dir = mkdtempSync(join(tmpdir(), 'anchorage-served-judge-'));
    // The judge config a user writes for a served model: README, "Serve".
    judgeFile = join(dir, 'judge.yaml');
    writeFileSync(
      judgeFile,
      [
        `baseUrl: ${url}/v1`,
        `model: ${MODEL}`,
        'mode: per-criterion',
        'temperature: 0',
        'maxTokens: 200',
        'responseFormat: json_schema',
        'reasonMaxChars: 240',
        'concurrency: 2',
        // A loaded 2-core machine may take minutes over a request; no retry hides a failure here.
        'timeoutMs: 600000',
        'maxRetries: 0',
        'cacheDir: cache',
        '',
      ].join('\n'),
    );
    const { corpus, id } = corpusFor({ rubric: RUBRIC });
    rubric = resolveRubric({ corpus, id, verifiers });
  });
  after(async () => {
    await server?.shutdown({ graceMs: 0 });
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  let first: Verdict[][] = [];

  test('verdicts come back scored on one of the criterion tiers, with reasons, each request schema-constrained and counted', async (t) => {
    const { deps, fetches } = countingDeps();
    const judge = createJudgeFromFile(judgeFile, deps);
    const scored = await Promise.all(RESPONSES.map((response) => score({ response, judge })));
    first = scored.map((s) => s.verdicts);
    const tiers = rubric.criteria.find((c) => c.id === JUDGED)!.tiers;
    for (const [i, s] of scored.entries()) {
      const v = judgedVerdict(s.verdicts);
      assert.equal(v.status, 'scored', `response ${i}: ${v.reason}`);
      assert.ok(v.status === 'scored');
      assert.ok(
        tiers.some((t) => t.label === v.tierLabel && t.score === v.tierScore),
        `response ${i}: tier ${v.tierLabel} (${v.tierScore}) is one of the criterion's`,
      );
      assert.ok(
        v.reason.trim().length > 0 && v.reason.length <= 240,
        `response ${i}: reason ${JSON.stringify(v.reason)}`,
      );
      assert.equal(echoedPlaceholder(v.reason), undefined, `response ${i}: no template text in ${v.reason}`);
      assert.ok(!v.reason.includes(REPLY_PLACEHOLDERS.reason));
      assert.equal(v.evaluator, `judge:${MODEL}`);
      // The reward counts the judged criterion with the verifiers' ones.
      assert.equal(s.reward.status, 'scored', JSON.stringify(s.reward));
    }
    const stats = judge.stats();
    for (const s of scored) {
      const v = judgedVerdict(s.verdicts);
      t.diagnostic(`${v.status === 'scored' ? v.tierLabel : v.status}: ${v.reason}`);
    }
    t.diagnostic(`judge stats ${JSON.stringify(stats)}`);
    assert.equal(stats.cacheMisses, RESPONSES.length);
    assert.equal(stats.cacheHits, 0);
    assert.equal(stats.unscorable, 0);
    // One request per response unless a reply needed its repair; each one the server answered.
    assert.equal(stats.requests, RESPONSES.length + stats.repairs);
    assert.equal(stats.retries, 0);
    assert.equal(fetches(), stats.requests, 'every counted request went over HTTP');
    assert.equal(model.generations, stats.requests, 'the server generated one answer per request');
    assert.equal(model.constrained, model.generations, 'every answer was decoded under the verdict schema');
    // Token counts from the server's usage blocks.
    assert.equal(stats.repliesWithUsage, stats.requests);
    assert.ok(stats.promptTokens > 200 * stats.requests, `prompt tokens ${stats.promptTokens}`);
    assert.ok(stats.completionTokens > 0 && stats.completionTokens <= 200 * stats.requests);
    assert.equal(readdirSync(join(dir, 'cache'), { recursive: true }).length > 0, true, 'verdicts cached');
  });

  test('scoring again is answered from the cache: same verdicts, no HTTP request, nothing generated', async () => {
    assert.equal(first.length, RESPONSES.length, 'runs after the first test');
    const generated = model.generations;
    const { deps, fetches } = countingDeps();
    const judge = createJudgeFromFile(judgeFile, deps);
    const again = await Promise.all(RESPONSES.map((response) => score({ response, judge })));
    assert.deepEqual(
      again.map((s) => s.verdicts),
      first,
    );
    const stats = judge.stats();
    assert.equal(stats.cacheHits, RESPONSES.length);
    assert.equal(stats.cacheMisses, 0);
    assert.equal(stats.requests, 0);
    assert.equal(fetches(), 0);
    assert.equal(model.generations, generated);
  });

  test('`anchorage score --judge <config>` in another process reads the same cache and sends nothing', async () => {
    const generated = model.generations;
    const input = join(dir, 'responses.jsonl');
    writeFileSync(
      input,
      RESPONSES.map((response, i) =>
        JSON.stringify({ id: `r${i}`, rubric: RUBRIC, prompt: PROMPT, response }),
      ).join('\n'),
    );
    const bin = new URL('../bin/anchorage.mjs', import.meta.url).pathname;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [bin, 'score', '--input', input, '--judge', judgeFile, '--json'],
      { cwd: dir, maxBuffer: 1 << 24 },
    );
    const rows = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; verdicts: Verdict[] });
    assert.deepEqual(
      rows.map((r) => judgedVerdict(r.verdicts)),
      first.map(judgedVerdict),
    );
    assert.equal(model.generations, generated, 'the server generated nothing for the CLI');
  });

  test('a spent request budget leaves a new response unscorable without a request', async () => {
    const generated = model.generations;
    const budgetFile = join(dir, 'judge-budget.yaml');
    writeFileSync(budgetFile, `${readFileSync(judgeFile, 'utf8')}requestBudget: 0\n`);
    const { deps, fetches } = countingDeps();
    const judge = createJudgeFromFile(budgetFile, deps);
    const s = await score({ response: 'Rain fell. I walked home.', judge });
    const v = judgedVerdict(s.verdicts);
    assert.equal(v.status, 'unscorable');
    assert.equal(v.reason, 'request budget exhausted');
    assert.equal(fetches(), 0);
    assert.equal(judge.stats().requests, 0);
    assert.equal(model.generations, generated);
  });
});
