import { statSync } from 'node:fs';
import type { LocatedPrompt } from '../data/prompt-record.ts';
import { loadPromptSet, type PromptSet } from '../data/prompt-set.ts';
import { sourceName } from '../data/sources.ts';
import { SETUP_MODEL_COMMAND } from '../models/default-model.ts';
import { type JudgeConfig, loadJudgeConfig } from '../rubric/judge/config.ts';
import { LazyRubricCorpus } from '../rubric/lazy-corpus.ts';
import { type ResolvedRubric, resolveRubric } from '../rubric/resolve.ts';
import { defaultVerifiers } from '../rubric/verifiers/index.ts';
import type { VerifierRegistry } from '../rubric/verifiers/registry.ts';
import { ValidationError } from '../util/errors.ts';
import type { LoadedRunConfig } from './load.ts';
import { checkModelPath, checkStorePath } from './path-checks.ts';
import { rubricsForPrompt, type WeightedRubric } from './rubric-rules.ts';

/** A configuration checked against everything it names, ready for a run to start. */
export interface PreparedRun {
  loaded: LoadedRunConfig;
  prompts: PromptSet;
  /** Every rubric a prompt of the run uses, resolved. */
  rubrics: Map<string, ResolvedRubric>;
  /** Training prompts of each stage (by stage name) with their rubrics. */
  training: Map<string, Array<{ prompt: LocatedPrompt; rubrics: WeightedRubric[] }>>;
  /** Evaluation prompts with their rubrics (the first stage's rules). */
  evaluation: Array<{ prompt: LocatedPrompt; rubrics: WeightedRubric[] }>;
  judge: JudgeConfig | undefined;
}

/**
 * Everything a run needs is checked before it starts: the model file, the judge config, the rubric
 * corpus, every prompt source, every rubric rule and every rubric a prompt uses (resolved, verifier
 * parameters included), that judged criteria have a judge, and that each stage has prompts enough.
 * Errors name the configuration's file, line and field, or the file at fault.
 */
export function prepareRun(options: {
  loaded: LoadedRunConfig;
  env?: NodeJS.ProcessEnv;
  verifiers?: VerifierRegistry;
}): PreparedRun {
  const { loaded, env = process.env, verifiers = defaultVerifiers() } = options;
  const { config, where } = loaded;
  checkModel(loaded);
  if (config.store.type === 'local') {
    checkStorePath({ path: config.store.path, location: where(['store', 'path']) });
  } else {
    checkStorePath({ path: config.store.cacheDir, location: where(['store', 'cache']) });
  }
  let judge: JudgeConfig | undefined;
  if (config.judge !== undefined) {
    try {
      judge = loadJudgeConfig(config.judge.config, { env });
    } catch (err) {
      throw wrap(err, where(['judge', 'config']), 'judge config');
    }
  }

  let baseCorpus: LazyRubricCorpus;
  try {
    baseCorpus = new LazyRubricCorpus(config.rubrics.corpus);
  } catch (err) {
    throw wrap(err, where(['rubrics', 'corpus']), 'rubric corpus');
  }
  const prompts = loadPromptSet({
    sources: config.prompts.sources,
    baseCorpus,
    where: (i) => where(['prompts', 'sources', i]),
  });

  const rubrics = new Map<string, ResolvedRubric>();
  const resolve = (id: string, at: () => ReturnType<typeof where>): ResolvedRubric => {
    const known = rubrics.get(id);
    if (known !== undefined) return known;
    if (!prompts.corpus.has(id)) {
      throw new ValidationError(
        `unknown rubric '${id}' (${prompts.corpus.size} rubrics in the corpus and the prompts; see \`anchorage rubrics list\`)`,
        { location: at() },
      );
    }
    let resolved: ResolvedRubric;
    try {
      resolved = resolveRubric({ corpus: prompts.corpus, id, verifiers });
    } catch (err) {
      throw wrap(err, at(), `rubric '${id}'`);
    }
    const judged = resolved.criteria.filter((c) => c.evaluator.type === 'judge');
    if (judged.length > 0 && judge === undefined) {
      throw new ValidationError(
        `rubric '${id}' has judged criteria (${judged.map((c) => c.id).join(', ')}), but the configuration names no judge: add \`judge: { config: <file> }\` or leave the rubric out`,
        { location: at() },
      );
    }
    rubrics.set(id, resolved);
    return resolved;
  };

  // Adaptive defence's monitor rubrics are scored on every training rollout (weight 0).
  if (config.defence.adaptive.enabled) {
    config.defence.adaptive.monitorRubrics.forEach((id, i) => {
      resolve(id, () => where(['defence', 'adaptive', 'monitorRubrics', i]));
    });
  }
  const training = new Map<string, Array<{ prompt: LocatedPrompt; rubrics: WeightedRubric[] }>>();
  const rulesPath = (stage: number): (string | number)[] =>
    config.stages?.[stage]?.rubrics?.apply === undefined
      ? ['rubrics', 'apply']
      : ['stages', stage, 'rubrics', 'apply'];
  for (const stage of loaded.stages) {
    stage.rubrics.apply.forEach((rule, i) => {
      resolve(rule.rubric, () => where([...rulesPath(stage.index), i, 'rubric']));
    });
    const stageWhere =
      config.stages === undefined ? where(['prompts', 'sources']) : where(['stages', stage.index]);
    for (const name of stage.sources) {
      if (prompts.roles.get(name) === 'eval') {
        throw new ValidationError(
          `source '${name}' has role eval; expected a source with role train or both for training`,
          {
            location:
              config.stages?.[stage.index]?.sources === undefined
                ? stageWhere
                : where(['stages', stage.index, 'sources']),
          },
        );
      }
    }
    const entries = stage.sources
      .flatMap((name) => prompts.bySource.get(name) ?? [])
      .map((prompt) => {
        const weighted = rubricsForPrompt({ prompt, ...stage.rubrics });
        if (weighted.length === 0) {
          throw new ValidationError(
            `prompt '${prompt.record.id}' (${prompt.file}:${prompt.line}) has no rubric in stage '${stage.name}': give it an instance rubric or add a rule to rubrics.apply`,
            { location: stageWhere },
          );
        }
        for (const w of weighted) {
          resolve(w.rubricId, () =>
            w.from === 'instance'
              ? {
                  file: prompt.file,
                  line: prompt.line,
                  field: prompt.record.rubric === undefined ? 'rubricId' : 'rubric',
                }
              : where([...rulesPath(stage.index), w.from, 'rubric']),
          );
        }
        return { prompt, rubrics: weighted };
      });
    if (entries.length < stage.rl.promptsPerStep) {
      throw new ValidationError(
        `stage '${stage.name}' has ${entries.length} training prompts, fewer than rl.promptsPerStep (${stage.rl.promptsPerStep})`,
        { location: stageWhere },
      );
    }
    training.set(stage.name, entries);
  }

  const evalNames =
    config.evaluation.sources ??
    config.prompts.sources.filter((s) => s.role !== 'train').map((s) => sourceName(s));
  config.evaluation.sources?.forEach((name, i) => {
    if (prompts.roles.get(name) === 'train') {
      throw new ValidationError(`source '${name}' has role train; expected a source with role eval or both`, {
        location: where(['evaluation', 'sources', i]),
      });
    }
  });
  const first = loaded.stages[0]!;
  const evaluation = evalNames
    .flatMap((name) => prompts.bySource.get(name) ?? [])
    .slice(0, config.evaluation.maxPrompts)
    .map((prompt) => {
      const weighted = rubricsForPrompt({ prompt, ...first.rubrics });
      for (const w of weighted) {
        resolve(w.rubricId, () => ({ file: prompt.file, line: prompt.line, field: 'rubricId' }));
      }
      return { prompt, rubrics: weighted };
    });
  if (config.evaluation.every > 0 && evaluation.length === 0) {
    throw new ValidationError('evaluation is on, but no source has role eval or both', {
      location: where(['evaluation', 'every']),
    });
  }
  return { loaded, prompts, rubrics, training, evaluation, judge };
}

function checkModel(loaded: LoadedRunConfig): void {
  const { path } = loaded.config.model;
  const location = loaded.where(['model', 'path']);
  const st = statSync(path, { throwIfNoEntry: false });
  if (st === undefined) {
    const written = loaded.lineOf(['model', 'path']) !== loaded.lineOf([]);
    const hint = written ? '' : ` (the default model: run \`${SETUP_MODEL_COMMAND}\` to download it)`;
    throw new ValidationError(`model not found: ${path}${hint}`, { location });
  }
  checkModelPath({ path, location });
}

/** An error from a named part, prefixed with the configuration location that named it. */
function wrap(err: unknown, location: ReturnType<LoadedRunConfig['where']>, what: string): unknown {
  if (!(err instanceof ValidationError)) return err;
  return new ValidationError(`${what}: ${err.message}`, { location, cause: err });
}
