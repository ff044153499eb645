import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ValidationError } from '../../../util/errors.ts';
import type { VerifierRegistry } from '../registry.ts';
import type { Verifier } from '../types.ts';
import { compileIfevalPrompt, IfevalPromptRecord } from './evaluate.ts';
import { clearResponseTextCache } from './response-text.ts';

/**
 * Throughput of the IFEval verifiers on the 541 GPT-4 responses of the IFEval paper: every
 * instruction of every prompt checked in strict and in loose mode through the registered verifiers,
 * as the judge activity calls them, on the calling thread.
 */

/** Where the IFEval data lives in a checkout: `../shared/data/ifeval` beside the repository. */
export const DEFAULT_IFEVAL_DATA_DIR = resolve(import.meta.dirname, '../../../../../shared/data/ifeval');

interface BenchCall {
  verifier: Verifier<unknown>;
  id: string;
  prompt: string;
  response: string;
  params: unknown;
}

export interface VerifierBenchResult {
  family: 'ifeval';
  responses: number;
  instructions: number;
  modes: Array<'strict' | 'loose'>;
  repeat: number;
  /** First pass, untimed in the rate: loads the language profiles and the sentence model. */
  coldPassMs: number;
  /** Wall time of the `repeat` timed passes. */
  timedMs: number;
  /** CPU time of the process over the timed passes: the rate per core, steadier on a busy machine. */
  cpuMs: number;
  responsesPerSecond: number;
  responsesPerCpuSecond: number;
  checksPerSecond: number;
  /** Share of verifier calls that passed (sanity: the same on every run). */
  passRate: number;
  /** Milliseconds per pass by instruction id, the text analyses charged to the first check that needs them. */
  msPerPassByInstruction: Record<string, number>;
}

function readLines(file: string): unknown[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ValidationError(`cannot read benchmark data: ${(cause as Error).message}`, {
      location: { file },
      cause,
    });
  }
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      try {
        return JSON.parse(l) as unknown;
      } catch (cause) {
        throw new ValidationError('expected a JSON object', { location: { file, line: i + 1 }, cause });
      }
    });
}

/** The verifier calls of one pass: each prompt's instructions, strict then loose, over its response. */
function benchCalls(options: { dataDir: string; verifiers: VerifierRegistry }): {
  calls: BenchCall[];
  responses: number;
} {
  const { dataDir, verifiers } = options;
  const promptsFile = resolve(dataDir, 'input_data_key2785_original_variant.jsonl');
  const responsesFile = resolve(dataDir, 'input_response_data_gpt4_20231107_145030.jsonl');
  const responseByPrompt = new Map<string, string>();
  for (const raw of readLines(responsesFile)) {
    const r = raw as { prompt?: unknown; response?: unknown };
    if (typeof r.prompt === 'string' && typeof r.response === 'string')
      responseByPrompt.set(r.prompt, r.response);
  }
  const calls: BenchCall[] = [];
  let responses = 0;
  readLines(promptsFile).forEach((raw, i) => {
    const record = IfevalPromptRecord.parse(raw);
    const prompt = compileIfevalPrompt({ record, location: { file: promptsFile, line: i + 1 } });
    const response = responseByPrompt.get(prompt.prompt);
    if (response === undefined) return;
    responses++;
    for (const mode of ['strict', 'loose'] as const) {
      for (const { id, args } of prompt.instructions) {
        const verifier = verifiers.get(`ifeval.${id}`);
        const params = verifier.params.parse({ ...(args as object), mode });
        calls.push({ verifier, id, prompt: prompt.prompt, response, params });
      }
    }
  });
  return { calls, responses };
}

function runPass(calls: readonly BenchCall[], byInstruction?: Map<string, number>): number {
  clearResponseTextCache();
  let passed = 0;
  for (const c of calls) {
    const start = byInstruction === undefined ? 0 : performance.now();
    const result = c.verifier.verify({ prompt: c.prompt, response: c.response, params: c.params });
    if ('score' in result && result.score === 1) passed++;
    if (byInstruction !== undefined)
      byInstruction.set(c.id, (byInstruction.get(c.id) ?? 0) + performance.now() - start);
  }
  return passed;
}

export function benchIfevalVerifiers(options: {
  verifiers: VerifierRegistry;
  repeat: number;
  dataDir?: string;
}): VerifierBenchResult {
  const { verifiers, repeat, dataDir = DEFAULT_IFEVAL_DATA_DIR } = options;
  const { calls, responses } = benchCalls({ dataDir, verifiers });
  if (calls.length === 0)
    throw new ValidationError('no prompt with a response in the benchmark data', {
      location: { file: dataDir },
    });

  let start = performance.now();
  runPass(calls);
  const coldPassMs = performance.now() - start;

  start = performance.now();
  const cpuStart = process.cpuUsage();
  let passed = 0;
  for (let r = 0; r < repeat; r++) passed += runPass(calls);
  const timedMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  const cpuMs = (cpu.user + cpu.system) / 1000;

  // A separate pass for the breakdown, so that its clock reads do not slow the timed ones.
  const byInstruction = new Map<string, number>();
  runPass(calls, byInstruction);

  return {
    family: 'ifeval',
    responses,
    instructions: calls.length / 2,
    modes: ['strict', 'loose'],
    repeat,
    coldPassMs,
    timedMs,
    cpuMs,
    responsesPerSecond: (responses * repeat) / (timedMs / 1000),
    responsesPerCpuSecond: (responses * repeat) / (cpuMs / 1000),
    checksPerSecond: (calls.length * repeat) / (timedMs / 1000),
    passRate: passed / (calls.length * repeat),
    msPerPassByInstruction: Object.fromEntries([...byInstruction.entries()].sort(([, a], [, b]) => b - a)),
  };
}
