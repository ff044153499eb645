import { detectLanguage } from './langdetect/detector.ts';
import { countSentences } from './punkt/sentence-splitter.ts';
import { countWords } from './nltk-text.ts';
import { pyIsLower, pyIsUpper, pyStrip } from './py-text.ts';
import { countCapitalWords } from './word-tokenizer.ts';

/**
 * One text to check, with the expensive analyses computed on first use and kept: the instructions
 * of a prompt share one response, and loose mode checks eight variants of it, so tokenising or
 * detecting the language once per text rather than once per instruction is most of the speed.
 */
export class ResponseText {
  readonly text: string;
  #stripped: string | undefined;
  #lower: string | undefined;
  #wordCount: number | undefined;
  #sentenceCount: number | undefined;
  #capitalWordCount: number | undefined;
  #language: string | null | undefined;
  #isUpper: boolean | undefined;
  #isLower: boolean | undefined;
  #variants: ResponseText[] | undefined;

  constructor(text: string) {
    this.text = text;
  }

  /** Python `text.strip()`. */
  get stripped(): string {
    this.#stripped ??= pyStrip(this.text);
    return this.#stripped;
  }

  get lower(): string {
    this.#lower ??= this.text.toLowerCase();
    return this.#lower;
  }

  /** Number of `\w+` tokens, NLTK's `\w` (the reference's word count). */
  get wordCount(): number {
    this.#wordCount ??= countWords(this.text);
    return this.#wordCount;
  }

  /** Number of Punkt sentences. */
  get sentenceCount(): number {
    this.#sentenceCount ??= countSentences(this.text);
    return this.#sentenceCount;
  }

  /** Number of word tokens (NLTK conventions) written entirely in capitals. */
  get capitalWordCount(): number {
    this.#capitalWordCount ??= countCapitalWords(this.text);
    return this.#capitalWordCount;
  }

  /** Detected language code, `null` when the text has nothing to detect from. */
  get language(): string | null {
    if (this.#language === undefined) this.#language = detectLanguage(this.text) ?? null;
    return this.#language;
  }

  get isUpper(): boolean {
    this.#isUpper ??= pyIsUpper(this.text);
    return this.#isUpper;
  }

  get isLower(): boolean {
    this.#isLower ??= pyIsLower(this.text);
    return this.#isLower;
  }

  /**
   * The reference's loose-mode variants: the text, without its first line, last line or both, each
   * also with every `*` removed (markdown emphasis), eight in all, this text first.
   */
  get looseVariants(): ResponseText[] {
    if (this.#variants === undefined) {
      const lines = this.text.split('\n');
      const withoutFirst = pyStrip(lines.slice(1).join('\n'));
      const withoutLast = pyStrip(lines.slice(0, -1).join('\n'));
      const withoutBoth = pyStrip(lines.slice(1, -1).join('\n'));
      const texts = [
        this.text,
        this.text.replaceAll('*', ''),
        withoutFirst,
        withoutLast,
        withoutBoth,
        withoutFirst.replaceAll('*', ''),
        withoutLast.replaceAll('*', ''),
        withoutBoth.replaceAll('*', ''),
      ];
      // Equal variants (a one-line text, a text without `*`) share one analysis.
      const byText = new Map<string, ResponseText>([[this.text, this]]);
      this.#variants = texts.map((t) => {
        let v = byText.get(t);
        if (v === undefined) {
          v = new ResponseText(t);
          byText.set(t, v);
        }
        return v;
      });
    }
    return this.#variants;
  }
}

const CACHE_SIZE = 16;
const recent = new Map<string, ResponseText>();

/**
 * The analysis of `text`, shared with recent callers: the verifiers of one rubric are called one
 * criterion at a time with the same response, and this lets them reuse one another's work. Holds
 * the 16 most recently used texts.
 */
export function responseText(text: string): ResponseText {
  let rt = recent.get(text);
  if (rt !== undefined) {
    recent.delete(text);
  } else {
    rt = new ResponseText(text);
    if (recent.size >= CACHE_SIZE) recent.delete(recent.keys().next().value!);
  }
  recent.set(text, rt);
  return rt;
}

/** Forgets the shared analyses (benchmarks call this so that repeats measure real work). */
export function clearResponseTextCache(): void {
  recent.clear();
}
