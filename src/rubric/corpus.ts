import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { ValidationError } from '../util/errors.ts';
import { type LocatedDocument, parseYamlDocuments } from '../util/yaml-documents.ts';
import { RubricFile } from './schema.ts';

/** A rubric as read from disk, with where it was defined. */
export type LocatedRubric = LocatedDocument<RubricFile>;

/** Every rubric of a set of files, indexed by id. */
export class RubricCorpus {
  readonly #byId = new Map<string, LocatedRubric>();

  add(rubric: LocatedRubric): void {
    const prior = this.#byId.get(rubric.value.id);
    if (prior !== undefined) {
      throw new ValidationError(`rubric id '${rubric.value.id}' is already defined at ${prior.file}:${prior.line}`, {
        location: { file: rubric.file, line: rubric.line, field: 'id' },
      });
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

/** Reads one YAML file holding one or more rubric documents. */
export function readRubricFile(file: string): LocatedRubric[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ValidationError(`cannot read rubric file: ${(cause as Error).message}`, { location: { file }, cause });
  }
  return parseYamlDocuments({ text, file, schema: RubricFile });
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

/** Loads a corpus from files and folders; paths in errors are relative to the working directory. */
export function loadCorpus(paths: readonly string[]): RubricCorpus {
  const corpus = new RubricCorpus();
  for (const file of listRubricFiles(paths)) {
    for (const rubric of readRubricFile(relative(process.cwd(), resolve(file)) || file)) corpus.add(rubric);
  }
  return corpus;
}
