import { relative, resolve } from 'node:path';
import { ValidationError } from '../util/errors.ts';
import { readTextFile } from '../util/read-text.ts';
import { type LocatedRubric, listRubricFiles, parseRubrics } from './corpus.ts';

/** What resolving a rubric needs from a corpus: look-up by id and a count for messages. */
export interface RubricLookup {
  get(id: string): LocatedRubric | undefined;
  readonly size: number;
}

interface DocumentSpan {
  file: string;
  text: string;
  start: number;
  end: number;
  /** 1-based line where the document's text starts. */
  line: number;
}

const ID_LINE = /^id:[ \t]*['"]?([^'"\s#]+)/;
const SEPARATOR = /^---(?:[ \t]|$)/;

/**
 * A corpus that parses only the rubrics asked for. Opening it scans each file's text for top-level
 * `id:` lines and `---` separators (milliseconds for the whole corpus, where parsing every YAML
 * document takes seconds); `get` then parses the one document that holds the id. A document whose
 * id is not written as a top-level `id:` line is found by the full-parse fallback.
 */
export class LazyRubricCorpus implements RubricLookup {
  readonly #spans = new Map<string, DocumentSpan>();
  readonly #parsed = new Map<string, LocatedRubric>();
  readonly #files: string[];
  #fullyLoaded = false;

  constructor(paths: readonly string[]) {
    this.#files = listRubricFiles(paths).map((f) => relative(process.cwd(), resolve(f)) || f);
    for (const file of this.#files) this.#index(file);
  }

  get size(): number {
    return this.#spans.size;
  }

  ids(): string[] {
    return [...this.#spans.keys()].sort();
  }

  get(id: string): LocatedRubric | undefined {
    const cached = this.#parsed.get(id);
    if (cached !== undefined) return cached;
    const span = this.#spans.get(id);
    if (span === undefined) return this.#fallback(id);
    const text = span.text.slice(span.start, span.end);
    for (const rubric of parseRubrics({ text, file: span.file, firstLine: span.line })) {
      this.#parsed.set(rubric.value.id, rubric);
    }
    return this.#parsed.get(id) ?? this.#fallback(id);
  }

  #index(file: string): void {
    const text = readTextFile(file, 'rubric file');
    let start = 0;
    let startLine = 1;
    let ids: string[] = [];
    let offset = 0;
    let lineNo = 1;
    const close = (end: number) => {
      for (const id of ids) {
        const prior = this.#spans.get(id);
        if (prior !== undefined) {
          throw new ValidationError(`rubric id '${id}' is already defined in ${prior.file}:${prior.line}`, {
            location: { file, line: startLine, field: 'id' },
          });
        }
        this.#spans.set(id, { file, text, start, end, line: startLine });
      }
      ids = [];
    };
    while (offset <= text.length) {
      const nl = text.indexOf('\n', offset);
      const lineEnd = nl === -1 ? text.length : nl;
      const line = text.slice(offset, lineEnd);
      if (SEPARATOR.test(line)) {
        close(offset);
        start = offset;
        startLine = lineNo;
      } else {
        const m = ID_LINE.exec(line);
        if (m !== null) ids.push(m[1]!);
      }
      if (nl === -1) break;
      offset = nl + 1;
      lineNo++;
    }
    close(text.length);
    // An empty file (or one of comments only) is a mistake, as in the full parse: not "0 rubrics".
    if (text.split('\n').every((l) => /^\s*(?:#.*)?$/.test(l) || SEPARATOR.test(l))) {
      throw new ValidationError(
        'expected at least one rubric document (id, version, title, scope, criteria); the file has none',
        { location: { file, line: 1 } },
      );
    }
  }

  /** Parses every file once when an id was not found by the scan. */
  #fallback(id: string): LocatedRubric | undefined {
    if (this.#fullyLoaded) return undefined;
    this.#fullyLoaded = true;
    for (const file of this.#files) {
      for (const rubric of parseRubrics({ text: readTextFile(file, 'rubric file'), file })) {
        if (!this.#parsed.has(rubric.value.id)) this.#parsed.set(rubric.value.id, rubric);
      }
    }
    return this.#parsed.get(id);
  }
}
