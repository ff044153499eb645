import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { ValidationError } from '../util/errors.ts';
import { readTextFile } from '../util/read-text.ts';
import { type LocatedDocument, lineAt, parseYamlDocuments } from '../util/yaml-documents.ts';
import { RubricFile } from './schema.ts';

/** A rubric as read from disk, with where it was defined. */
export type LocatedRubric = LocatedDocument<RubricFile>;

/** Every rubric of a set of files, indexed by id. */
export class RubricCorpus {
  readonly #byId = new Map<string, LocatedRubric>();

  add(rubric: LocatedRubric): void {
    const prior = this.#byId.get(rubric.value.id);
    if (prior !== undefined) {
      throw new ValidationError(
        `rubric id '${rubric.value.id}' is already defined at ${prior.file}:${lineAt(prior, ['id'])}`,
        {
          location: { file: rubric.file, line: lineAt(rubric, ['id']), field: 'id' },
        },
      );
    }
    this.#byId.set(rubric.value.id, rubric);
  }

  get(id: string): LocatedRubric | undefined {
    return this.#byId.get(id);
  }

  has(id: string): boolean {
    return this.#byId.has(id);
  }

  ids(): string[] {
    return [...this.#byId.keys()].sort();
  }

  all(): LocatedRubric[] {
    return [...this.#byId.values()];
  }

  get size(): number {
    return this.#byId.size;
  }
}

/**
 * Field paths whose lines are kept for later errors (includes, criterion ids, verifiers and their
 * parameters, interactions): enough to point resolution errors at their line without keeping every
 * tier's line of a large corpus in memory.
 */
export function rubricLinePaths(path: readonly (string | number)[]): boolean {
  if (path[0] !== 'criteria') return path.length <= 4;
  return path.length <= 3 || (path[2] === 'evaluator' && path.length <= 6);
}

/** Parses rubric documents from YAML text; `onError` collects errors instead of throwing the first. */
export function parseRubrics(options: {
  text: string;
  file: string;
  onError?: (error: ValidationError) => void;
  /** Line of the file where `text` starts, when it is one document cut out of a larger file. */
  firstLine?: number;
}): LocatedRubric[] {
  return parseYamlDocuments({ ...options, schema: RubricFile, recordLines: rubricLinePaths });
}

/** Reads one YAML file holding one or more rubric documents. */
export function readRubricFile(
  file: string,
  options: { onError?: (error: ValidationError) => void } = {},
): LocatedRubric[] {
  let text: string;
  try {
    text = readTextFile(file, 'rubric file');
  } catch (err) {
    if (options.onError === undefined || !(err instanceof ValidationError)) throw err;
    options.onError(err);
    return [];
  }
  let failed = false;
  const collect = options.onError;
  const onError = (error: ValidationError): void => {
    failed = true;
    if (collect === undefined) throw error;
    collect(error);
  };
  // Without a collector the first error throws (with its "and N more issues" count).
  const rubrics = parseRubrics(collect === undefined ? { text, file } : { text, file, onError });
  if (rubrics.length === 0 && !failed) {
    // An empty file (or one of comments only) is a mistake, not "0 rubrics".
    onError(
      new ValidationError(
        'expected at least one rubric document (id, version, title, scope, criteria); the file has none',
        { location: { file, line: 1 } },
      ),
    );
  }
  return rubrics;
}

/** Lists the rubric files (`*.yaml`, `*.yml`) under each path; a file path is taken as given. */
export function listRubricFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (path: string): void => {
    const st = statSync(path, { throwIfNoEntry: false });
    if (st === undefined) throw new ValidationError('no such file or folder', { location: { file: path } });
    if (st.isFile()) {
      out.push(path);
      return;
    }
    for (const name of readdirSync(path).sort()) {
      if (name.startsWith('.')) continue;
      const child = join(path, name);
      const cst = statSync(child);
      if (cst.isDirectory()) walk(child);
      else if (/\.ya?ml$/.test(name)) out.push(child);
    }
  };
  for (const p of paths) walk(p);
  return out;
}

/**
 * Loads a corpus from files and folders; paths in errors are relative to the working directory.
 * Without `onError` the first error throws; with it, every error is reported and the rubrics that
 * failed (or whose id was taken) are left out.
 */
export function loadCorpus(
  paths: readonly string[],
  options: { onError?: (error: ValidationError) => void } = {},
): RubricCorpus {
  const { onError } = options;
  const corpus = new RubricCorpus();
  const files: string[] = [];
  for (const path of paths) {
    try {
      const found = listRubricFiles([path]);
      if (found.length === 0) {
        // A folder with no rubric in it is a wrong path, not an empty corpus.
        throw new ValidationError('expected rubric files (*.yaml, *.yml) in this folder, found none', {
          location: { file: path },
        });
      }
      files.push(...found);
    } catch (err) {
      if (onError === undefined || !(err instanceof ValidationError)) throw err;
      onError(err);
    }
  }
  for (const file of files) {
    const shown = relative(process.cwd(), resolve(file)) || file;
    for (const rubric of readRubricFile(shown, onError === undefined ? {} : { onError })) {
      if (onError === undefined) {
        corpus.add(rubric);
        continue;
      }
      try {
        corpus.add(rubric);
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        onError(err);
      }
    }
  }
  return corpus;
}
