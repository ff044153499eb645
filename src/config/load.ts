import { basename, dirname, extname, isAbsolute, resolve } from 'node:path';
import type { PromptSourceConfig } from '../data/sources.ts';
import { defaultModelPath } from '../models/default-model.ts';
import { corpusPaths } from '../rubric/default-corpus.ts';
import { type ErrorLocation, ValidationError } from '../util/errors.ts';
import { formatFieldPath } from '../util/field-path.ts';
import { readTextFile } from '../util/read-text.ts';
import {
  type LocatedDocument,
  lineAt,
  readYamlDocuments,
  validateYamlDocument,
} from '../util/yaml-documents.ts';
import type { StoreLocation } from '../store/store-location.ts';
import { defaultStoreDir } from './data-dir.ts';
import { DEFAULT_STEPS, type ParsedRunConfig, RunConfigSchema } from './schema.ts';
import { type StagePlan, stagePlan } from './stages.ts';
import { s3Location, storeLocationFromEnv } from './store-env.ts';

/** A validated run configuration with every path absolute and every default filled in. */
export type RunConfig = Omit<ParsedRunConfig, 'steps' | 'model' | 'rubrics' | 'store'> & {
  /** Total training steps (the stages' sum when there are stages). */
  steps: number;
  model: { path: string; name: string };
  rubrics: Omit<ParsedRunConfig['rubrics'], 'corpus'> & { corpus: string[] };
  store: StoreLocation;
};

/** A loaded configuration, with where it came from so later checks can point at its lines. */
export interface LoadedRunConfig {
  config: RunConfig;
  /** The stages in order, overrides merged (one `main` stage when the file has none). */
  stages: StagePlan[];
  file: string;
  /** Line of a field path in the file (the nearest written ancestor's, else 1). */
  lineOf(path: readonly (string | number)[]): number;
  /** The location of a field path, for error messages. */
  where(path: readonly (string | number)[]): ErrorLocation;
}

/** The text of a run configuration file; an unreadable file is a ValidationError naming it. */
export function readRunConfigText(file: string): string {
  return readTextFile(file, 'run configuration');
}

/** Reads and validates a run configuration file; errors name the file, line and field. */
export function loadRunConfig(file: string, options: { env?: NodeJS.ProcessEnv } = {}): LoadedRunConfig {
  const text = readRunConfigText(file);
  return parseRunConfig({ text, file, ...(options.env === undefined ? {} : { env: options.env }) });
}

/** `loadRunConfig` on text already read; `file` names it in errors and anchors relative paths. */
export function parseRunConfig(options: {
  text: string;
  file: string;
  env?: NodeJS.ProcessEnv;
}): LoadedRunConfig {
  const { text, file, env = process.env } = options;
  // Parsed once: the documents are counted, then the one there is validated.
  const [first, second] = readYamlDocuments({ text, file });
  if (second !== undefined) {
    throw new ValidationError('expected one document in a run configuration, found several', {
      location: { file, line: second.line },
    });
  }
  const located: LocatedDocument<ParsedRunConfig> =
    first === undefined
      ? // An empty file: every default.
        { value: RunConfigSchema.parse({}), file, line: 1, index: 0 }
      : // Without onError an invalid document throws, so a document comes back.
        validateYamlDocument({ parsed: first, schema: RunConfigSchema, recordLines: () => true })!;
  const lineOf = (path: readonly (string | number)[]) => lineAt(located, path);
  const where = (path: readonly (string | number)[]): ErrorLocation => ({
    file,
    line: lineOf(path),
    field: formatFieldPath(path),
  });
  const parsed = located.value;
  const config = resolvePaths({ parsed, base: dirname(resolve(file)), env });
  return { config, stages: stagePlan({ config: parsed, steps: config.steps }), file, lineOf, where };
}

function resolvePaths(options: { parsed: ParsedRunConfig; base: string; env: NodeJS.ProcessEnv }): RunConfig {
  const { parsed, base, env } = options;
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  const modelPath = parsed.model.path === 'default' ? defaultModelPath({ env }) : abs(parsed.model.path);
  const steps = parsed.stages?.reduce((n, s) => n + s.steps, 0) ?? parsed.steps ?? DEFAULT_STEPS;
  return {
    ...parsed,
    steps,
    model: { path: modelPath, name: parsed.model.name ?? basename(modelPath, extname(modelPath)) },
    prompts: { ...parsed.prompts, sources: parsed.prompts.sources.map((s) => resolveSource(s, abs)) },
    rubrics: { ...parsed.rubrics, corpus: parsed.rubrics.corpus?.map(abs) ?? corpusPaths(env) },
    evaluation: {
      ...parsed.evaluation,
      suites: parsed.evaluation.suites.map((s) =>
        s.prompts === undefined ? s : { ...s, prompts: abs(s.prompts) },
      ),
    },
    ...(parsed.judge === undefined ? {} : { judge: { ...parsed.judge, config: abs(parsed.judge.config) } }),
    store: resolveStore({ store: parsed.store, abs, env }),
  };
}

/** The store's location: what the file says, the environment for the rest (store-env.ts). */
function resolveStore(options: {
  store: ParsedRunConfig['store'];
  abs: (p: string) => string;
  env: NodeJS.ProcessEnv;
}): StoreLocation {
  const { store, abs, env } = options;
  if (store.type === 's3') {
    return s3Location({
      bucket: store.bucket,
      prefix: store.prefix,
      endpoint: store.endpoint,
      region: store.region,
      cacheDir: store.cache === undefined ? undefined : abs(store.cache),
      env,
    });
  }
  if (store.path !== undefined) return { type: 'local', path: abs(store.path) };
  if (store.type === 'local') return { type: 'local', path: defaultStoreDir({ env }) };
  return storeLocationFromEnv({ env });
}

function resolveSource(source: PromptSourceConfig, abs: (p: string) => string): PromptSourceConfig {
  switch (source.type) {
    case 'jsonl':
    case 'ifeval':
    case 'arena-hard':
      return { ...source, file: abs(source.file) };
    case 'writingbench':
      return { ...source, dir: abs(source.dir) };
    case 'constraint-generator':
      return source;
  }
}
