import { RubricCorpus } from '../rubric/corpus.ts';
import type { RubricLookup } from '../rubric/lazy-corpus.ts';
import { type ErrorLocation, ValidationError } from '../util/errors.ts';
import { generateConstraintPrompts } from './generator/generate.ts';
import { importArenaHard } from './importers/arena-hard.ts';
import { importIfevalPrompts } from './importers/ifeval.ts';
import { importWritingBench } from './importers/writingbench.ts';
import { readPromptFile } from './jsonl-source.ts';
import { LayeredCorpus } from './layered-corpus.ts';
import { EVAL_ONLY_TAG, instanceRubricOf, type LocatedPrompt } from './prompt-record.ts';
import { type PromptSourceConfig, type SourceRole, sourceName } from './sources.ts';

/** Reads one configured source (paths already absolute). */
export function readSource(source: PromptSourceConfig): LocatedPrompt[] {
  const name = sourceName(source);
  let prompts: LocatedPrompt[];
  switch (source.type) {
    case 'jsonl':
      prompts = readPromptFile({ file: source.file, sourceName: name, tags: source.tags });
      break;
    case 'ifeval':
      prompts = importIfevalPrompts({ file: source.file, sourceName: name });
      break;
    case 'arena-hard':
      prompts = importArenaHard({
        file: source.file,
        sourceName: name,
        ...(source.categories === undefined ? {} : { categories: source.categories }),
      });
      break;
    case 'writingbench':
      prompts = importWritingBench({
        dir: source.dir,
        subsets: source.subsets,
        sourceName: name,
        ...(source.languages === undefined ? {} : { languages: source.languages }),
      });
      break;
    case 'constraint-generator': {
      const { type: _type, name: _name, limit: _limit, role: _role, ...options } = source;
      prompts = generateConstraintPrompts({ ...options, sourceName: name });
      break;
    }
  }
  return source.limit === undefined ? prompts : prompts.slice(0, source.limit);
}

/** The prompts of a run and the rubric corpus that resolves every rubric they name. */
export interface PromptSet {
  prompts: LocatedPrompt[];
  /** Prompts by source name, in source order. */
  bySource: Map<string, LocatedPrompt[]>;
  /** Role of each source by name. */
  roles: Map<string, SourceRole>;
  /** The prompts' inline rubrics laid over the base corpus. */
  corpus: LayeredCorpus;
}

/**
 * Reads every source and checks the set: prompt ids are unique across sources, eval-only prompts
 * feed evaluation only, inline rubric ids are unique and do not shadow a corpus rubric, and every
 * `rubricId` exists. `where(i)` locates source i in the configuration for error messages.
 */
export function loadPromptSet(options: {
  sources: readonly PromptSourceConfig[];
  baseCorpus: RubricLookup & { ids?: () => string[] };
  where?: (sourceIndex: number) => ErrorLocation;
}): PromptSet {
  const { sources, baseCorpus, where = () => ({}) } = options;
  const prompts: LocatedPrompt[] = [];
  const bySource = new Map<string, LocatedPrompt[]>();
  const roles = new Map<string, SourceRole>();
  const seen = new Map<string, LocatedPrompt>();
  sources.forEach((source, i) => {
    const name = sourceName(source);
    let read: LocatedPrompt[];
    try {
      read = readSource(source);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      throw new ValidationError(`source '${name}': ${err.message}`, { location: where(i), cause: err });
    }
    for (const prompt of read) {
      const prior = seen.get(prompt.record.id);
      if (prior !== undefined) {
        throw new ValidationError(
          `prompt id '${prompt.record.id}' is already used by ${prior.file}:${prior.line} (source ${prior.sourceName})`,
          { location: { file: prompt.file, line: prompt.line, field: 'id' } },
        );
      }
      seen.set(prompt.record.id, prompt);
      if (source.role !== 'eval' && prompt.record.tags.includes(EVAL_ONLY_TAG)) {
        throw new ValidationError(
          `source '${name}' has role ${source.role}, but its prompt '${prompt.record.id}' (${prompt.file}:${prompt.line}) is tagged ${EVAL_ONLY_TAG}: expected role eval for held-out benchmark prompts`,
          { location: where(i) },
        );
      }
    }
    prompts.push(...read);
    bySource.set(name, read);
    roles.set(name, source.role);
  });
  return { prompts, bySource, roles, corpus: promptRubricCorpus({ prompts, baseCorpus }) };
}

/**
 * The inline rubrics of `prompts` laid over `baseCorpus`. An inline id that is taken (by another
 * prompt or by the corpus), and a `rubricId` that names no rubric, are errors naming the prompt.
 */
export function promptRubricCorpus(options: {
  prompts: readonly LocatedPrompt[];
  baseCorpus: RubricLookup & { ids?: () => string[] };
}): LayeredCorpus {
  const { prompts, baseCorpus } = options;
  const inline = new RubricCorpus();
  // A lazy corpus parses every file when asked for an id it lacks; its id list is cheap.
  const baseIds = baseCorpus.ids === undefined ? undefined : new Set(baseCorpus.ids());
  const inBase = (id: string) => (baseIds === undefined ? baseCorpus.get(id) !== undefined : baseIds.has(id));
  for (const prompt of prompts) {
    const rubric = instanceRubricOf(prompt);
    if (rubric?.inline === undefined) continue;
    if (inBase(rubric.id)) {
      throw new ValidationError(`inline rubric id '${rubric.id}' is already a rubric of the corpus`, {
        location: { file: prompt.file, line: prompt.line, field: 'rubric.id' },
      });
    }
    inline.add(rubric.inline);
  }
  const corpus = new LayeredCorpus([inline, baseCorpus]);
  for (const prompt of prompts) {
    const id = prompt.record.rubricId;
    if (id !== undefined && !inline.has(id) && !inBase(id)) {
      throw new ValidationError(
        `rubricId '${id}' names no rubric of the corpus (${baseCorpus.size} rubrics)`,
        {
          location: { file: prompt.file, line: prompt.line, field: 'rubricId' },
        },
      );
    }
  }
  return corpus;
}
