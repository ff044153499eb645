import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ValidationError } from '../../../util/errors.ts';
import { formatFieldPath } from '../../../util/field-path.ts';
import {
  type CompiledIfevalPrompt,
  compileIfevalPrompt,
  evaluateIfevalPrompt,
  IfevalPromptRecord,
} from './evaluate.ts';

/**
 * Running IFEval over files, as the reference's `evaluation_main` does: prompts in IFEval's format,
 * responses matched to them, one result line per prompt in each mode, and the accuracies.
 */

/** A line of a responses file: the response, and the key or the prompt text it answers. */
export const IfevalResponseLine = z
  .object({
    key: z.number().int().optional(),
    prompt: z.string().optional(),
    /** Anything but a string (null, a number) fails every instruction; the field itself is required. */
    response: z.custom<unknown>((v) => v !== undefined, {
      message: 'a `response` field (null for no response)',
    }),
  })
  .refine((r) => r.key !== undefined || r.prompt !== undefined, { message: 'a `key` or a `prompt` field' });
export type IfevalResponseLine = z.infer<typeof IfevalResponseLine>;

/** One output line, with the reference's fields (written in its alphabetical key order). */
export interface IfevalResult {
  follow_all_instructions: boolean;
  follow_instruction_list: boolean[];
  instruction_id_list: string[];
  prompt: string;
  response: unknown;
}

interface Located<T> {
  value: T;
  line: number;
}

/** Non-blank lines of a JSON Lines file, validated; errors name the file, the line and the field. */
function readJsonLines<S extends z.ZodType>(file: string, schema: S): Located<z.output<S>>[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ValidationError(`cannot read file: ${(cause as Error).message}`, { location: { file }, cause });
  }
  const out: Located<z.output<S>>[] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    const line = i + 1;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (cause) {
      throw new ValidationError(`expected a JSON object: ${(cause as Error).message}`, {
        location: { file, line },
        cause,
      });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new ValidationError(`expected ${issue.message.replace(/^Invalid input: expected /, '')}`, {
        location: { file, line, field: formatFieldPath(issue.path as PropertyKey[]) || '(line)' },
      });
    }
    out.push({ value: parsed.data, line });
  });
  return out;
}

/** Reads and validates an IFEval prompt file (`input_data.jsonl`). */
export function readIfevalPrompts(file: string): Located<CompiledIfevalPrompt>[] {
  return readJsonLines(file, IfevalPromptRecord).map(({ value, line }) => ({
    value: compileIfevalPrompt({ record: value, location: { file, line } }),
    line,
  }));
}

export function readIfevalResponses(file: string): Located<IfevalResponseLine>[] {
  return readJsonLines(file, IfevalResponseLine);
}

/**
 * Pairs each prompt with its response: by `key` when the response line has one, else by the exact
 * prompt text. A response that answers no prompt, or a prompt answered twice, is an error naming the
 * response line; a prompt nobody answered gets `undefined` (it follows nothing).
 */
export function matchResponses(options: {
  prompts: readonly Located<CompiledIfevalPrompt>[];
  responses: readonly Located<IfevalResponseLine>[];
  responsesFile: string;
}): Array<{ prompt: CompiledIfevalPrompt; response: unknown; answered: boolean }> {
  const { prompts, responses, responsesFile } = options;
  const byKey = new Map<number, number>();
  const byText = new Map<string, number>();
  prompts.forEach(({ value }, i) => {
    if (value.key !== undefined) byKey.set(value.key, i);
    if (!byText.has(value.prompt)) byText.set(value.prompt, i);
  });
  const answers = new Map<number, Located<IfevalResponseLine>>();
  for (const r of responses) {
    const index = r.value.key !== undefined ? byKey.get(r.value.key) : byText.get(r.value.prompt!);
    if (index === undefined) {
      const what = r.value.key !== undefined ? `key ${r.value.key}` : 'prompt text';
      throw new ValidationError(`response matches no prompt (by ${what})`, {
        location: { file: responsesFile, line: r.line, field: r.value.key !== undefined ? 'key' : 'prompt' },
      });
    }
    const prior = answers.get(index);
    if (prior !== undefined) {
      throw new ValidationError(`a second response to the prompt already answered on line ${prior.line}`, {
        location: { file: responsesFile, line: r.line },
      });
    }
    answers.set(index, r);
  }
  return prompts.map(({ value }, i) => {
    const answer = answers.get(i);
    return { prompt: value, response: answer?.value.response, answered: answer !== undefined };
  });
}

export function evaluatePair(options: {
  prompt: CompiledIfevalPrompt;
  response: unknown;
  mode: 'strict' | 'loose';
}): IfevalResult {
  const follow = evaluateIfevalPrompt(options);
  return {
    follow_all_instructions: follow.every(Boolean),
    follow_instruction_list: follow,
    instruction_id_list: options.prompt.instructions.map((i) => i.id),
    prompt: options.prompt.prompt,
    response: options.response ?? null,
  };
}

export interface IfevalAccuracy {
  prompts: number;
  promptsFollowed: number;
  instructions: number;
  instructionsFollowed: number;
  promptLevel: number;
  instructionLevel: number;
}

/** Prompt-level (all instructions followed) and instruction-level accuracy. */
export function ifevalAccuracy(results: readonly IfevalResult[]): IfevalAccuracy {
  let promptsFollowed = 0;
  let instructions = 0;
  let instructionsFollowed = 0;
  for (const r of results) {
    if (r.follow_all_instructions) promptsFollowed++;
    instructions += r.follow_instruction_list.length;
    instructionsFollowed += r.follow_instruction_list.filter(Boolean).length;
  }
  return {
    prompts: results.length,
    promptsFollowed,
    instructions,
    instructionsFollowed,
    promptLevel: results.length === 0 ? 0 : promptsFollowed / results.length,
    instructionLevel: instructions === 0 ? 0 : instructionsFollowed / instructions,
  };
}

/**
 * JSON as Python's `json.dumps` writes it by default (", " and ": " separators, non-ASCII escaped),
 * so that our result files compare equal to the reference's line by line.
 */
export function pythonJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean' || typeof value === 'number') return JSON.stringify(value);
  if (typeof value === 'string') return pythonString(value);
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(', ')}]`;
  const entries = Object.entries(value as Record<string, unknown>);
  return `{${entries.map(([k, v]) => `${pythonString(k)}: ${pythonJson(v)}`).join(', ')}}`;
}

const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
};

function pythonString(s: string): string {
  return `"${s.replace(/[^ -~]|["\\]/g, (ch) => SHORT_ESCAPES[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`;
}

/** The result file's content: one line per prompt. */
export function formatIfevalResults(results: readonly IfevalResult[]): string {
  return results.map((r) => `${pythonJson(r)}\n`).join('');
}
