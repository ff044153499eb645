import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UnknownNameError, ValidationError } from '../../../util/errors.ts';
import { contentTokens, wordTokens } from './tokens.ts';

/**
 * Lexicons: lists of words and phrases, one per line, in `rubrics/lexicons/<name>.txt`. A header of
 * `# key: value` lines comes first; `# match:` says how entries are matched:
 * - `tokens`: the entry's words must appear consecutively in the text (punctuation ignored);
 * - `content-ngrams`: the same, over the text's content words (stopwords removed, contractions
 *   folded), for n-gram lists that were counted that way;
 * - `stopwords`: the stopword list that `content-ngrams` matching removes.
 */
export const LEXICON_DIR = fileURLToPath(new URL('../../../../rubrics/lexicons/', import.meta.url));
export const LEXICON_NAME = /^[a-z0-9][a-z0-9-]*$/;
const STOPWORDS = 'stopwords-en';

export type MatchMode = 'tokens' | 'content-ngrams' | 'stopwords';
const MODES: readonly MatchMode[] = ['tokens', 'content-ngrams', 'stopwords'];

export interface Lexicon {
  name: string;
  match: MatchMode;
  /** Header fields (`source`, `licence`, ...). */
  meta: Record<string, string>;
  /** Entries as written, lower-cased, without duplicates. */
  entries: string[];
}

/** Parses a lexicon file's text; errors name the file and line. */
export function parseLexicon(options: { name: string; text: string; file: string }): Lexicon {
  const { name, text, file } = options;
  const meta: Record<string, string> = {};
  const entries: string[] = [];
  const seen = new Set<string>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    if (line.startsWith('#')) {
      const m = /^#\s*([a-z-]+):\s*(.*)$/i.exec(line);
      if (m !== null && entries.length === 0) meta[m[1]!.toLowerCase()] = m[2]!.trim();
      return;
    }
    const entry = line.toLowerCase();
    if (wordTokens(entry).length === 0) {
      throw new ValidationError('expected an entry with at least one word', {
        location: { file, line: i + 1 },
      });
    }
    if (!seen.has(entry)) {
      seen.add(entry);
      entries.push(entry);
    }
  });
  const match = meta['match'];
  if (!MODES.includes(match as MatchMode)) {
    throw new ValidationError(
      `expected a header line '# match: ${MODES.join(' | ')}', got '${match ?? '(none)'}'`,
      {
        location: { file, line: 1, field: 'match' },
      },
    );
  }
  return { name, match: match as MatchMode, meta, entries };
}

/** Names of the lexicons in `dir` (file names without `.txt`), sorted. */
export function listLexicons(dir: string = LEXICON_DIR): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.endsWith('.txt'))
    .map((n) => n.slice(0, -4))
    .sort();
}

export function lexiconExists(name: string, dir: string = LEXICON_DIR): boolean {
  return (
    LEXICON_NAME.test(name) &&
    statSync(join(dir, `${name}.txt`), { throwIfNoEntry: false })?.isFile() === true
  );
}

// Lexicons are read once per process: a judge worker scores thousands of responses with the same few.
const cache = new Map<string, Lexicon>();

/** Loads (once per process and folder) the lexicon `name`; an unknown name lists the known ones. */
export function loadLexicon(options: { name: string; dir?: string }): Lexicon {
  const dir = options.dir ?? LEXICON_DIR;
  const key = join(dir, options.name);
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  if (!lexiconExists(options.name, dir))
    throw new UnknownNameError('lexicon', options.name, listLexicons(dir));
  const file = join(dir, `${options.name}.txt`);
  const lexicon = parseLexicon({ name: options.name, text: readFileSync(file, 'utf8'), file });
  cache.set(key, lexicon);
  return lexicon;
}

interface TrieNode {
  next: Map<string, TrieNode>;
  /** The entry that ends here, if any. */
  entry: string | undefined;
}

const newNode = (): TrieNode => ({ next: new Map(), entry: undefined });

/** A hit: the entry and the word positions [start, end) in the stream it was found in. */
export interface LexiconHit {
  entry: string;
  stream: 'tokens' | 'content';
  start: number;
  end: number;
}

/**
 * Matches a set of lexicons against texts. Within each stream (all words, or content words) it takes
 * the longest entry starting at each position and resumes after it, so overlapping entries ("voice
 * barely a whisper" and "whisper") count once.
 */
export class LexiconMatcher {
  readonly #tokens = newNode();
  readonly #content = newNode();
  readonly #stopwords: ReadonlySet<string>;
  readonly size: number;

  constructor(options: {
    include: readonly Lexicon[];
    exclude?: readonly Lexicon[];
    stopwords: readonly string[];
  }) {
    this.#stopwords = new Set(options.stopwords);
    const excluded = new Set<string>();
    for (const lex of options.exclude ?? []) {
      for (const e of lex.entries) excluded.add(this.#key(lex.match, e));
    }
    let size = 0;
    for (const lex of options.include) {
      if (lex.match === 'stopwords') continue;
      for (const e of lex.entries) {
        if (excluded.has(this.#key(lex.match, e))) continue;
        const words = lex.match === 'tokens' ? wordTokens(e) : contentTokens(wordTokens(e), this.#stopwords);
        if (words.length === 0) continue;
        let node = lex.match === 'tokens' ? this.#tokens : this.#content;
        for (const w of words) {
          let child = node.next.get(w);
          if (child === undefined) {
            child = newNode();
            node.next.set(w, child);
          }
          node = child;
        }
        if (node.entry === undefined) size++;
        node.entry ??= e;
      }
    }
    this.size = size;
  }

  /** Hits in a text already split into words by `wordTokens`. */
  match(tokens: readonly string[]): LexiconHit[] {
    const hits: LexiconHit[] = [];
    if (this.#tokens.next.size > 0) scan(this.#tokens, tokens, 'tokens', hits);
    if (this.#content.next.size > 0)
      scan(this.#content, contentTokens(tokens, this.#stopwords), 'content', hits);
    return hits;
  }

  #key(match: MatchMode, entry: string): string {
    const words = match === 'tokens' ? wordTokens(entry) : contentTokens(wordTokens(entry), this.#stopwords);
    return `${match}:${words.join(' ')}`;
  }
}

function scan(
  root: TrieNode,
  words: readonly string[],
  stream: LexiconHit['stream'],
  hits: LexiconHit[],
): void {
  let i = 0;
  while (i < words.length) {
    let node: TrieNode | undefined = root;
    let best: { entry: string; end: number } | undefined;
    for (let j = i; j < words.length; j++) {
      node = node.next.get(words[j]!);
      if (node === undefined) break;
      if (node.entry !== undefined) best = { entry: node.entry, end: j + 1 };
    }
    if (best === undefined) {
      i++;
    } else {
      hits.push({ entry: best.entry, stream, start: i, end: best.end });
      i = best.end;
    }
  }
}

const matchers = new Map<string, LexiconMatcher>();

/** A matcher for these lexicon names, built once per process. */
export function lexiconMatcher(options: {
  include: readonly string[];
  exclude?: readonly string[];
  dir?: string;
}): LexiconMatcher {
  const exclude = options.exclude ?? [];
  const key = `${options.dir ?? ''}|${options.include.join(',')}|${exclude.join(',')}`;
  let m = matchers.get(key);
  if (m === undefined) {
    const load = (name: string) =>
      loadLexicon(options.dir === undefined ? { name } : { name, dir: options.dir });
    m = new LexiconMatcher({
      include: options.include.map(load),
      exclude: exclude.map(load),
      // A custom folder may omit the stopword list; the built-in one applies then.
      stopwords: (options.dir !== undefined && !lexiconExists(STOPWORDS, options.dir)
        ? loadLexicon({ name: STOPWORDS })
        : load(STOPWORDS)
      ).entries,
    });
    matchers.set(key, m);
  }
  return m;
}
