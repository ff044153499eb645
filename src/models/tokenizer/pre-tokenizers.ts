import { UnknownNameError } from '../../util/errors.ts';

/**
 * Hugging Face pre-tokenizer configs (tokenizer.json `pre_tokenizer`) for the GGUF
 * `tokenizer.ggml.pre` names of byte-level BPE vocabularies. Each entry reproduces the regex split
 * llama.cpp applies for that name (llama-vocab.cpp), followed by the byte-to-unicode mapping.
 *
 * `ignoreMerges`: the vocabulary is looked up whole before merging (llama3-style BPE).
 */
export interface PreTokenizerRecipe {
  readonly preTokenizer: Record<string, unknown>;
  readonly ignoreMerges: boolean;
}

/** GPT-2's split; the byte-level pre-tokenizer's own regex is this one plus a final `\s+`. */
const GPT2_SPLIT = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
const CONTRACTIONS_ANY_CASE = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])";
const LLAMA3_SPLIT = `${CONTRACTIONS_ANY_CASE}|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+`;
const QWEN2_SPLIT = `${CONTRACTIONS_ANY_CASE}|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+`;

function split(pattern: string): Record<string, unknown> {
  return { type: 'Split', pattern: { Regex: pattern }, behavior: 'Isolated', invert: false };
}

function byteLevel(useRegex: boolean): Record<string, unknown> {
  return { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: useRegex };
}

/** Each numeric character on its own (llama.cpp `\p{N}`; HF Digits with individual_digits). */
const SINGLE_DIGITS = split('\\p{N}');

const STARCODER_STYLE: PreTokenizerRecipe = {
  preTokenizer: { type: 'Sequence', pretokenizers: [SINGLE_DIGITS, split(GPT2_SPLIT), byteLevel(false)] },
  ignoreMerges: false,
};
const GPT2_STYLE: PreTokenizerRecipe = {
  preTokenizer: { type: 'Sequence', pretokenizers: [split(GPT2_SPLIT), byteLevel(false)] },
  ignoreMerges: false,
};
const LLAMA3_STYLE: PreTokenizerRecipe = {
  preTokenizer: { type: 'Sequence', pretokenizers: [split(LLAMA3_SPLIT), byteLevel(false)] },
  ignoreMerges: true,
};
const QWEN2_STYLE: PreTokenizerRecipe = {
  preTokenizer: { type: 'Sequence', pretokenizers: [split(QWEN2_SPLIT), byteLevel(false)] },
  ignoreMerges: false,
};

const RECIPES: ReadonlyMap<string, PreTokenizerRecipe> = new Map([
  ['smollm', STARCODER_STYLE],
  ['starcoder', STARCODER_STYLE],
  ['refact', STARCODER_STYLE],
  ['command-r', STARCODER_STYLE],
  ['codeshell', STARCODER_STYLE],
  ['exaone', STARCODER_STYLE],
  ['minerva-7b', STARCODER_STYLE],
  ['gpt-2', GPT2_STYLE],
  ['mpt', GPT2_STYLE],
  ['olmo', GPT2_STYLE],
  ['jais', GPT2_STYLE],
  ['llama3', LLAMA3_STYLE],
  ['llama-v3', LLAMA3_STYLE],
  ['llama-bpe', LLAMA3_STYLE],
  ['qwen2', QWEN2_STYLE],
  ['stablelm2', QWEN2_STYLE],
]);

/** The pre-tokenizer for a `tokenizer.ggml.pre` name; unknown names fail listing the known ones. */
export function preTokenizerFor(name: string): PreTokenizerRecipe {
  const recipe = RECIPES.get(name);
  if (recipe === undefined) throw new UnknownNameError('tokenizer.ggml.pre type', name, [...RECIPES.keys()]);
  return recipe;
}

export function knownPreTokenizers(): string[] {
  return [...RECIPES.keys()];
}
