import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { ValidationError } from '../../util/errors.ts';
import { readTextFile } from '../../util/read-text.ts';
import { readYamlDocuments, validateYamlDocument } from '../../util/yaml-documents.ts';
import { MAX_REASON_CHARS } from './reasons.ts';

/**
 * Configuration of an LLM judge reached over an OpenAI-compatible chat-completions endpoint (vLLM,
 * llama.cpp server, Ollama, OpenAI). The API key is never part of it: `apiKeyEnv` names the
 * environment variable that holds the key, so config files, workflow inputs and logs stay secret-free.
 */

const envVarName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name (letters, digits, _)');

const BaseUrl = z
  .url({ protocol: /^https?$/, error: 'an http(s) URL such as http://127.0.0.1:8000/v1' })
  .refine((u) => {
    // Refinements run even when the URL check above failed; only judge URLs that parse.
    if (!URL.canParse(u)) return true;
    const parsed = new URL(u);
    return parsed.username === '' && parsed.password === '';
  }, 'a URL without user:password (put the key in the variable named by apiKeyEnv)');

export const Backoff = z.strictObject({
  /** Delay before the first retry. */
  initialMs: z.number().int().nonnegative().default(500),
  /** Growth factor per retry. */
  multiplier: z.number().min(1).default(2),
  /** Cap on one computed delay. */
  maxMs: z.number().int().nonnegative().default(30_000),
  /** Fraction of each delay that is random (0 = none, 1 = full jitter). */
  jitter: z.number().min(0).max(1).default(0.5),
  /** A Retry-After longer than this ends the retries: the caller's own retry policy takes over. */
  maxRetryAfterMs: z.number().int().nonnegative().default(60_000),
});
export type Backoff = z.infer<typeof Backoff>;

const SAMPLES_EXPECTED = 'a whole number of samples (judge answers per criterion), at least 1';

export const JudgeConfig = z
  .strictObject({
    /** Base of the OpenAI-compatible API, e.g. `http://127.0.0.1:8000/v1`; `/chat/completions` is appended. */
    baseUrl: BaseUrl,
    model: z.string().min(1),
    /** Name of the environment variable holding the API key; omit for servers that need none. */
    apiKeyEnv: envVarName.optional(),
    /** `per-criterion`: one call per criterion. `rubric`: one call grades every criterion at once. */
    mode: z.enum(['per-criterion', 'rubric']).default('per-criterion'),
    temperature: z.number().min(0).max(2).default(0),
    /**
     * Times the judge is asked for each criterion (per-criterion mode) or each rubric (rubric mode);
     * a criterion's verdict is the mean of its scored samples' tier scores (`combine-samples.ts`).
     * Each sample is cached and budgeted as its own request. More than 1 needs temperature > 0.
     */
    samples: z
      .number({ error: SAMPLES_EXPECTED })
      .int({ error: SAMPLES_EXPECTED })
      .min(1, { error: SAMPLES_EXPECTED })
      .default(1),
    /** `max_tokens` sent with each request; omitted when unset (the server's default applies). */
    maxTokens: z.number().int().positive().optional(),
    /** Largest reply body read from the server; a larger one is cut off and its criteria unscorable (not cached). */
    maxReplyBytes: z
      .number()
      .int()
      .min(1024)
      .max(64 * 1024 * 1024)
      .default(1024 * 1024),
    /** Limit on one HTTP request, from sending to the last byte of the reply. */
    timeoutMs: z.number().int().positive().default(60_000),
    /** Retries after the first attempt for transport errors (network, timeout, 408, 429, 5xx). */
    maxRetries: z.number().int().nonnegative().default(4),
    backoff: Backoff.default({
      initialMs: 500,
      multiplier: 2,
      maxMs: 30_000,
      jitter: 0.5,
      maxRetryAfterMs: 60_000,
    }),
    /** Requests in flight at once, shared by every criterion this judge grades. */
    concurrency: z.number().int().positive().default(4),
    /** Most HTTP requests (retries and repairs included) in the judge's life; past it criteria are unscorable. */
    requestBudget: z.number().int().nonnegative().default(100_000),
    /**
     * Most tokens (prompt + completion, as the server reports them) in the judge's life: a request
     * starts only while fewer were used; past it criteria are unscorable. Counts stay 0 with a server
     * that reports no usage. Unset: no limit.
     */
    tokenBudget: z.number().int().nonnegative().optional(),
    /** Requests sent per second at most (retries and repairs included), spaced evenly. Unset: no limit. */
    maxRequestsPerSecond: z.number().positive().max(100_000).optional(),
    /** Folder of cached verdicts (one JSON file each). In a config file, relative to that file. */
    cacheDir: z.string().min(1),
    /** Extra HTTP headers (e.g. an organisation id). Never the key: use `apiKeyEnv`. */
    extraHeaders: z
      .record(z.string().min(1), z.string())
      .refine(
        (h) => !Object.keys(h).some((k) => /^(authorization|api-key|x-api-key)$/i.test(k)),
        'headers without a credential (name the key variable in apiKeyEnv instead)',
      )
      .optional(),
    /**
     * What the server is asked to constrain its output to. `json_schema`: the verdict's JSON Schema
     * (`verdict-schema.ts`; vLLM, llama.cpp server, OpenAI and `anchorage serve` decode under it, so
     * replies parse); `json_object_schema`: the same schema in the form llama-cpp-python's server
     * takes, `{type: json_object, schema}` (it refuses `json_schema`); `json_object`: any JSON
     * object (OpenAI, vLLM, Ollama); `off`: nothing asked.
     */
    responseFormat: z.enum(['json_schema', 'json_object_schema', 'json_object', 'off']).default('off'),
    /**
     * With a schema format: the reason's length bound in the schema (1 to this many characters; in
     * rubric mode also exactly one verdict per criterion), so a model cannot run out of tokens inside
     * a verdict. Unset, the schema has no length keywords (OpenAI's strict mode refuses them).
     */
    reasonMaxChars: z.number().int().min(16).max(MAX_REASON_CHARS).optional(),
  })
  .refine((c) => c.reasonMaxChars === undefined || c.responseFormat.endsWith('_schema'), {
    path: ['reasonMaxChars'],
    error:
      'reasonMaxChars only with responseFormat json_schema or json_object_schema (it bounds the schema sent)',
  })
  .refine((c) => c.samples === 1 || c.temperature > 0, {
    path: ['samples'],
    error: 'samples > 1 only with temperature > 0 (at temperature 0 every sample would be the same answer)',
  });
export type JudgeConfig = z.infer<typeof JudgeConfig>;
export type JudgeConfigInput = z.input<typeof JudgeConfig>;

/** Environment variables that override the file, for pointing one config at another server. */
export const JUDGE_ENV_OVERRIDES = {
  ANCHORAGE_JUDGE_BASE_URL: 'baseUrl',
  ANCHORAGE_JUDGE_MODEL: 'model',
} as const;

/**
 * Reads a judge config file (YAML or JSON: one document), validates it, resolves `cacheDir` against
 * the file's folder, and applies `ANCHORAGE_JUDGE_BASE_URL` / `ANCHORAGE_JUDGE_MODEL`. Errors name
 * the file, line and field (or the environment variable) and say what was expected.
 */
export function loadJudgeConfig(path: string, options: { env?: NodeJS.ProcessEnv } = {}): JudgeConfig {
  const text = readTextFile(path, 'judge config');
  return parseJudgeConfig({ text, file: path, env: options.env ?? process.env });
}

/** `loadJudgeConfig` without the file read: `text` is the file's content, `file` its path. */
export function parseJudgeConfig(options: {
  text: string;
  file: string;
  env?: NodeJS.ProcessEnv;
}): JudgeConfig {
  const { text, file } = options;
  // Parsed once: the documents are counted (a second one is reported as such), then the one there is validated.
  const [first, second] = readYamlDocuments({ text, file });
  if (first === undefined) {
    throw new ValidationError(
      'expected a judge config (baseUrl, model, cacheDir, ...), found an empty file',
      {
        location: { file },
      },
    );
  }
  if (second !== undefined) {
    throw new ValidationError('expected one document in a judge config, found several', {
      location: { file, line: second.line },
    });
  }
  // Without onError an invalid document throws, so a document comes back.
  const validated = validateYamlDocument({ parsed: first, schema: JudgeConfig })!;
  const config = applyJudgeEnv({ config: validated.value, env: options.env ?? process.env });
  const cacheDir = isAbsolute(config.cacheDir) ? config.cacheDir : resolve(dirname(file), config.cacheDir);
  return { ...config, cacheDir };
}

/** Applies the environment overrides, validating each value and naming the variable when it is bad. */
export function applyJudgeEnv(options: { config: JudgeConfig; env: NodeJS.ProcessEnv }): JudgeConfig {
  const { env } = options;
  let config = options.config;
  for (const [variable, field] of Object.entries(JUDGE_ENV_OVERRIDES)) {
    const value = env[variable];
    if (value === undefined || value === '') continue;
    const parsed = JudgeConfig.shape[field].safeParse(value);
    if (!parsed.success) {
      throw new ValidationError(
        `environment variable ${variable} (overrides ${field}): expected ${parsed.error.issues[0]!.message}`,
      );
    }
    config = { ...config, [field]: parsed.data };
  }
  return config;
}
