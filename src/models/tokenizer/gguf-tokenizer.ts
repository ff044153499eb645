import { ValidationError } from '../../util/errors.ts';
import type { GgufHeader } from '../gguf/gguf-reader.ts';
import { preTokenizerFor } from './pre-tokenizers.ts';
import { TextTokenizer, type TextTokenizerOptions } from './text-tokenizer.ts';

/** `tokenizer.ggml.token_type` values (llama.h llama_token_type). */
export const GGUF_TOKEN_TYPE = {
  normal: 1,
  unknown: 2,
  control: 3,
  userDefined: 4,
  unused: 5,
  byte: 6,
} as const;

/**
 * A Hugging Face tokenizer.json object rebuilt from GGUF metadata, for byte-level BPE vocabularies
 * (`tokenizer.ggml.model` = "gpt2"): the vocabulary from `tokenizer.ggml.tokens`, merges from
 * `tokenizer.ggml.merges`, the pre-tokenizer for `tokenizer.ggml.pre`, and control (special) and
 * user-defined tokens as added tokens, which are matched in text before BPE.
 */
export function tokenizerJsonFromGguf(options: { header: GgufHeader }): Record<string, unknown> {
  const { header } = options;
  const meta = header.metadata;
  const model = meta.string('tokenizer.ggml.model');
  if (model !== 'gpt2') {
    throw new ValidationError(
      `expected "gpt2" (byte-level BPE), found "${model}"; only BPE vocabularies are supported`,
      {
        location: { file: header.file, field: 'tokenizer.ggml.model' },
      },
    );
  }
  const tokens = meta.stringArray('tokenizer.ggml.tokens');
  const types = meta.optionalNumberArray('tokenizer.ggml.token_type');
  if (types !== undefined && types.length !== tokens.length) {
    throw new ValidationError(
      `expected ${tokens.length} token types (one per token), found ${types.length}`,
      {
        location: { file: header.file, field: 'tokenizer.ggml.token_type' },
      },
    );
  }
  const merges = meta
    .stringArray('tokenizer.ggml.merges')
    .map((merge, i) => splitMerge(merge, i, header.file));
  const recipe = preTokenizerFor(meta.optionalString('tokenizer.ggml.pre') ?? 'gpt-2');

  // No prototype: a token spelled "__proto__" must become an ordinary key.
  const vocab: Record<string, number> = Object.create(null);
  tokens.forEach((token, id) => {
    // llama.cpp keeps the last id for a duplicated string; so does a plain object.
    vocab[token] = id;
  });
  const addedTokens: Record<string, unknown>[] = [];
  types?.forEach((type, id) => {
    if (type !== GGUF_TOKEN_TYPE.control && type !== GGUF_TOKEN_TYPE.userDefined) return;
    addedTokens.push({
      id,
      content: tokens[id],
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: type === GGUF_TOKEN_TYPE.control,
    });
  });

  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    normalizer: null,
    pre_tokenizer: recipe.preTokenizer,
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: recipe.ignoreMerges,
      vocab,
      merges,
    },
  };
}

/** "a b" → ["a", "b"], splitting at the first space after the first character, as llama.cpp does. */
function splitMerge(merge: string, index: number, file: string): [string, string] {
  const at = merge.indexOf(' ', 1);
  if (at < 0) {
    throw new ValidationError(`merge ${index} "${merge}" has no space between its two parts`, {
      location: { file, field: 'tokenizer.ggml.merges' },
    });
  }
  return [merge.slice(0, at), merge.slice(at + 1)];
}

function tokenAt(header: GgufHeader, key: string): string | null {
  const id = header.metadata.optionalNumber(key);
  if (id === undefined) return null;
  const tokens = header.metadata.stringArray('tokenizer.ggml.tokens');
  const token = tokens[id];
  if (token === undefined) {
    throw new ValidationError(`token id ${id} is outside the vocabulary of ${tokens.length}`, {
      location: { file: header.file, field: key },
    });
  }
  return token;
}

/** The tokenizer and chat template of a GGUF model file. */
export function tokenizerFromGguf(options: { header: GgufHeader }): TextTokenizer {
  return new TextTokenizer(ggufTokenizerOptions(options));
}

/** What a TextTokenizer is built from, read from GGUF metadata (also what a Hugging Face folder needs). */
export function ggufTokenizerOptions(options: { header: GgufHeader }): TextTokenizerOptions {
  const { header } = options;
  const meta = header.metadata;
  return {
    tokenizerJson: tokenizerJsonFromGguf({ header }),
    chatTemplate: meta.optionalString('tokenizer.chat_template') ?? null,
    bosToken: tokenAt(header, 'tokenizer.ggml.bos_token_id'),
    eosToken: tokenAt(header, 'tokenizer.ggml.eos_token_id'),
    padToken: tokenAt(header, 'tokenizer.ggml.padding_token_id'),
    // llama.cpp's default for BPE vocabularies is not to add BOS.
    addBosByDefault: meta.optionalBool('tokenizer.ggml.add_bos_token') ?? false,
    source: header.file,
  };
}
