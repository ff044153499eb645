import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { PromptRecord } from '../data/prompt-record.ts';
import { Policy } from '../engine/policy.ts';
import { defaultModelPath, SETUP_MODEL_COMMAND } from '../models/default-model.ts';
import { ChatServer, DEFAULT_LIMITS } from '../serve/chat-server.ts';
import { ServedModel } from '../serve/served-model.ts';
import { JudgeConfig } from '../rubric/judge/config.ts';
import { defaultVerifiers } from '../rubric/verifiers/index.ts';
import { generatorClient } from './client.ts';
import { generateRubrics } from './generate.ts';
import { generatedPath, promptHash, readGenerated } from './generated-file.ts';
import { validateRubric } from './validate.ts';

// The plumbing against `anchorage serve` on the bundled SmolLM2-135M-Instruct: the generator's JSON
// Schema is inside the server's subset (a 400 would fail the request), the constrained answer
// parses, and a schema-valid rubric file with provenance is written. Not the rubric's quality.
// Skipped only when the model file is absent; CI installs it first.
const path = defaultModelPath();
const skip = existsSync(path) ? false : `model file ${path} is missing: run \`${SETUP_MODEL_COMMAND}\``;

describe('rubrics generate against anchorage serve on SmolLM2', { skip }, () => {
  let server: ChatServer;
  let baseUrl: string;

  before(async () => {
    const policy = await Policy.load({ model: path });
    const served = new ServedModel(policy, { id: 'smollm2', slots: 2 });
    server = new ChatServer(served, { ...DEFAULT_LIMITS, slots: 2, queue: 2 });
    baseUrl = `${await server.listen({ port: 0, host: '127.0.0.1' })}/v1`;
  });
  after(async () => {
    await server?.shutdown({ graceMs: 0 });
  });

  it('writes a schema-valid instance rubric with provenance', async () => {
    const out = mkdtempSync(join(tmpdir(), 'gen-smollm2-'));
    const prompt = PromptRecord.parse({ id: 'haiku', prompt: 'Write a haiku about autumn leaves.' });
    const log = pino({ level: 'silent' });
    const config = JudgeConfig.parse({
      baseUrl,
      model: 'smollm2',
      cacheDir: join(out, '.cache'),
      maxTokens: 400,
      maxRetries: 0,
      timeoutMs: 300_000,
      responseFormat: 'json_schema',
    });
    const verifiers = defaultVerifiers();
    const summary = await generateRubrics({
      prompts: [prompt],
      client: generatorClient({ config, env: {}, log }).client,
      model: 'smollm2',
      outDir: out,
      verifiers,
      verifierNames: [],
      reference: [],
      threshold: 0.5,
      bounds: { chars: 60, criteria: 2 },
      concurrency: 1,
      log,
    });
    assert.deepEqual(
      summary.outcomes.map((o) => o.status),
      ['generated'],
      JSON.stringify(summary.outcomes),
    );
    const file = readGenerated(generatedPath(out, prompt.id));
    assert.equal(file.provenance.model, 'smollm2');
    assert.equal(file.provenance.promptHash, promptHash(prompt));
    assert.ok(!Number.isNaN(Date.parse(file.provenance.date)));
    assert.ok(file.rubric.criteria.length >= 1);
    assert.ok(validateRubric({ value: file.rubric, verifiers }).ok);
  });
});
