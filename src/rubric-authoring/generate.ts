import type { Logger } from 'pino';
import { type PromptRecord, promptMessages, promptText } from '../data/prompt-record.ts';
import { AnchorageError } from '../util/errors.ts';
import { type ChatClient, RequestBudgetExhausted } from '../rubric/judge/chat-client.ts';
import type { VerifierRegistry } from '../rubric/verifiers/registry.ts';
import { type AnswerBounds, answerJsonSchema, answerToRubric } from './answer-schema.ts';
import {
  appendReject,
  GENERATED_FORMAT,
  generatedPath,
  generatedRubricId,
  promptHash,
  readRejects,
  writeGenerated,
} from './generated-file.ts';
import { generatorMessages, repairMessages, verifierCatalogue } from './prompts.ts';
import { removeNearDuplicates } from './similarity.ts';
import { validateRubric } from './validate.ts';
import { existsSync } from 'node:fs';

/**
 * `anchorage rubrics generate`: for each prompt, ask the model for an instance rubric under the
 * answer's JSON Schema (answer-schema.ts), validate it with the rubric schema and resolution
 * (validate.ts), ask once more with the validation error when it fails, and otherwise record a
 * reject with the reason (never a rubric file). Near-duplicate criteria are removed (similarity.ts)
 * within the rubric and against the criteria of the dataset rubrics given. A prompt that already has
 * a rubric file or a reject line is skipped, so a rerun continues where the last one stopped.
 * Once the client refuses a request because its request or token budget is spent, no further prompt
 * is asked: that prompt and every one not yet taken are `unasked` (nothing written for them), so a
 * rerun with a larger budget asks them.
 */

export interface GenerateOptions {
  prompts: readonly PromptRecord[];
  client: ChatClient;
  model: string;
  outDir: string;
  verifiers: VerifierRegistry;
  /** Verifier names offered to the model (the rest of the registry is not mentioned). */
  verifierNames: readonly string[];
  /** Criteria of dataset rubrics that a generated criterion must not repeat. */
  reference: readonly { ref: string; description: string }[];
  threshold: number;
  bounds?: AnswerBounds | undefined;
  /** Prompts asked at once. */
  concurrency: number;
  log: Logger;
  now?: () => Date;
  /**
   * Called after each prompt's outcome (a skipped one too), before the next prompt of that lane is
   * taken: a durable shard heartbeats its progress here (activities/generate-rubric-shard.ts).
   */
  onOutcome?: (outcome: PromptOutcome) => void | Promise<void>;
}

export type PromptOutcome =
  | { promptId: string; status: 'generated'; path: string; removed: number; attempts: number }
  | { promptId: string; status: 'skipped' }
  | { promptId: string; status: 'rejected'; reason: string }
  | { promptId: string; status: 'failed'; error: string }
  /** Not asked (or its answer not finished) because the client's budget is spent: nothing written. */
  | { promptId: string; status: 'unasked' };

export interface GenerateSummary {
  generated: number;
  skipped: number;
  rejected: number;
  failed: number;
  unasked: number;
  outcomes: PromptOutcome[];
}

export async function generateRubrics(options: GenerateOptions): Promise<GenerateSummary> {
  const done = new Set(readRejects(options.outDir).map((r) => r.promptId));
  const outcomes: PromptOutcome[] = new Array(options.prompts.length);
  const catalogue = verifierCatalogue({ verifiers: options.verifiers, names: options.verifierNames });
  const schema = answerJsonSchema({ verifierNames: options.verifierNames, bounds: options.bounds });
  let next = 0;
  let budgetSpent = false;
  const worker = async () => {
    for (let i = next++; i < options.prompts.length; i = next++) {
      const record = options.prompts[i]!;
      if (budgetSpent) {
        outcomes[i] = { promptId: record.id, status: 'unasked' };
      } else if (done.has(record.id) || existsSync(generatedPath(options.outDir, record.id))) {
        outcomes[i] = { promptId: record.id, status: 'skipped' };
      } else {
        outcomes[i] = await generateOne({ ...options, record, catalogue, schema });
        if (outcomes[i]!.status === 'unasked') budgetSpent = true;
      }
      await options.onOutcome?.(outcomes[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  const count = (s: PromptOutcome['status']) => outcomes.filter((o) => o.status === s).length;
  return {
    generated: count('generated'),
    skipped: count('skipped'),
    rejected: count('rejected'),
    failed: count('failed'),
    unasked: count('unasked'),
    outcomes,
  };
}

async function generateOne(
  options: GenerateOptions & {
    record: PromptRecord;
    catalogue: string;
    schema: { name: string; schema: Record<string, unknown> };
  },
): Promise<PromptOutcome> {
  const { record, client, log } = options;
  const date = (options.now?.() ?? new Date()).toISOString();
  const hash = promptHash(record);
  const header = {
    id: generatedRubricId(record.id),
    title: `Rubric for prompt ${record.id}`,
    scope: 'instance' as const,
    tags: ['generated'],
    source: `generated by ${options.model} on ${date} for prompt sha256:${hash.slice(0, 16)}`,
    prompt: promptText(record),
  };
  const first = generatorMessages({ conversation: promptMessages(record), catalogue: options.catalogue });
  let messages = first;
  let error = 'no answer';
  for (let attempt = 1; attempt <= 2; attempt++) {
    let reply: string;
    let cutOff = false;
    try {
      const answer = await client.complete({
        messages,
        purpose: `rubric for prompt ${record.id}`,
        schema: options.schema,
      });
      reply = answer.content;
      cutOff = answer.finishReason === 'length';
    } catch (err) {
      if (err instanceof RequestBudgetExhausted) {
        log.info({ promptId: record.id, reason: err.message }, 'rubric not asked: judge budget spent');
        return { promptId: record.id, status: 'unasked' };
      }
      if (!(err instanceof AnchorageError)) throw err;
      log.error({ promptId: record.id, err }, 'rubric request failed');
      return { promptId: record.id, status: 'failed', error: err.message };
    }
    const checked = checkAnswer({ ...options, reply, header });
    if (checked.ok) {
      const { kept, removed } = removeNearDuplicates({
        criteria: checked.rubric.criteria,
        reference: options.reference,
        threshold: options.threshold,
      });
      if (kept.length === 0) {
        return reject(options, {
          hash,
          date,
          attempts: attempt,
          reason: `every criterion is a near-duplicate (${removed.map((r) => `${r.id} of ${r.duplicateOf}`).join(', ')})`,
        });
      }
      const path = writeGenerated(options.outDir, {
        format: GENERATED_FORMAT,
        promptId: record.id,
        messages: promptMessages(record),
        provenance: { model: options.model, promptHash: hash, date, attempts: attempt },
        removed,
        rubric: { ...checked.rubric, criteria: kept },
      });
      log.info(
        { promptId: record.id, path, criteria: kept.length, removed: removed.length },
        'rubric written',
      );
      return { promptId: record.id, status: 'generated', path, removed: removed.length, attempts: attempt };
    }
    error = cutOff ? `${checked.error} (the answer was cut off at max_tokens)` : checked.error;
    log.warn({ promptId: record.id, attempt, error }, 'generated rubric is not valid');
    messages = repairMessages({ first, reply, error });
  }
  return reject(options, { hash, date, attempts: 2, reason: error });
}

function checkAnswer(options: {
  reply: string;
  header: Parameters<typeof answerToRubric>[0]['header'];
  verifiers: VerifierRegistry;
}) {
  const converted = answerToRubric({ reply: options.reply, header: options.header });
  if (!converted.ok) return converted;
  return validateRubric({ value: converted.rubric, verifiers: options.verifiers });
}

function reject(
  options: GenerateOptions & { record: PromptRecord },
  r: { hash: string; date: string; attempts: number; reason: string },
): PromptOutcome {
  appendReject(options.outDir, {
    promptId: options.record.id,
    promptHash: r.hash,
    model: options.model,
    date: r.date,
    attempts: r.attempts,
    reason: r.reason,
  });
  options.log.warn({ promptId: options.record.id, reason: r.reason }, 'rubric rejected');
  return { promptId: options.record.id, status: 'rejected', reason: r.reason };
}
