import { existsSync, statSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ValidationError } from '../util/errors.ts';
import { readRubricFile } from './corpus.ts';
import { LazyRubricCorpus } from './lazy-corpus.ts';

/** The project's own `rubrics/` folder, found from this file so any working directory works. */
export const BUNDLED_RUBRICS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../rubrics');

/** Folders searched for rubrics: `ANCHORAGE_RUBRICS` (colon-separated) or the bundled corpus. */
export function corpusPaths(env: NodeJS.ProcessEnv = process.env): string[] {
  const fromEnv = env.ANCHORAGE_RUBRICS?.split(':').filter((p) => p !== '');
  return fromEnv !== undefined && fromEnv.length > 0 ? fromEnv : [BUNDLED_RUBRICS_DIR];
}

/**
 * A corpus for a `--rubric` argument that is either a rubric id or a path to a rubric file. A path
 * is loaded together with the searched folders (so its includes resolve); its first rubric is the
 * one meant. Returns the corpus and the id to resolve.
 */
export function corpusFor(options: { rubric: string; extraPaths?: readonly string[] }): {
  corpus: LazyRubricCorpus;
  id: string;
} {
  const { rubric, extraPaths = [] } = options;
  const isFile = /\.ya?ml$/.test(rubric) && existsSync(rubric) && statSync(rubric).isFile();
  const paths = [...corpusPaths(), ...extraPaths];
  if (!isFile) return { corpus: new LazyRubricCorpus(paths), id: rubric };
  const inFolder = paths.some((p) => resolve(rubric).startsWith(`${resolve(p)}/`));
  const corpus = new LazyRubricCorpus(inFolder ? paths : [...paths, rubric]);
  // The file's first rubric is the one meant.
  const first = readRubricFile(relative(process.cwd(), resolve(rubric)) || rubric)[0];
  if (first === undefined) throw new ValidationError('no rubric document in the file', { location: { file: rubric } });
  return { corpus, id: first.value.id };
}
