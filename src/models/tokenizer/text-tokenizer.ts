import { Tokenizer } from '@huggingface/tokenizers';
import { ValidationError } from '../../util/errors.ts';
import { type ChatMessage, ChatTemplate } from './chat-template.ts';

/** Tokens that end an assistant turn when the vocabulary marks them special (llama.cpp's EOT list). */
const END_OF_TURN_TOKENS = [
  '<|im_end|>',
  '<|eot_id|>',
  '<|eom_id|>',
  '<|end|>',
  '<end_of_turn>',
  '<|endoftext|>',
];

export interface TextTokenizerOptions {
  /** A tokenizer.json object (model, pre_tokenizer, decoder, added_tokens, ...). */
  readonly tokenizerJson: Record<string, unknown>;
  readonly chatTemplate: string | null;
  readonly bosToken: string | null;
  readonly eosToken: string | null;
  readonly padToken: string | null;
  /** Whether `encode` prepends BOS when the caller does not say. */
  readonly addBosByDefault: boolean;
  /** Where this came from, for error messages (a GGUF path or a folder). */
  readonly source: string;
}

interface AddedTokenJson {
  id: number;
  content: string;
  special?: boolean;
}

/**
 * Encode/decode text and render chat prompts. Wraps `@huggingface/tokenizers` (the BPE itself) and
 * `@huggingface/jinja` (chat templates); the special-token bookkeeping lives here.
 */
export class TextTokenizer {
  readonly bosId: number | null;
  readonly eosId: number | null;
  readonly padId: number | null;
  /** Ids that end generation: EOS plus the end-of-turn tokens the vocabulary marks special. */
  readonly stopIds: readonly number[];
  readonly specialIds: ReadonlySet<number>;
  readonly vocabSize: number;
  private readonly withSpecials: Tokenizer;
  private withoutSpecials: Tokenizer | undefined;
  private readonly template: ChatTemplate | null;

  constructor(private readonly options: TextTokenizerOptions) {
    const config = { clean_up_tokenization_spaces: false };
    this.withSpecials = new Tokenizer(options.tokenizerJson, config);
    const added = (options.tokenizerJson['added_tokens'] ?? []) as AddedTokenJson[];
    this.specialIds = new Set(added.filter((t) => t.special === true).map((t) => t.id));
    this.vocabSize = this.withSpecials.get_vocab(true).size;
    this.bosId = this.idOf(options.bosToken, 'bos_token');
    this.eosId = this.idOf(options.eosToken, 'eos_token');
    this.padId = this.idOf(options.padToken, 'pad_token');
    const stops = new Set<number>();
    if (this.eosId !== null) stops.add(this.eosId);
    for (const text of END_OF_TURN_TOKENS) {
      const id = this.withSpecials.token_to_id(text);
      if (id !== undefined && this.specialIds.has(id)) stops.add(id);
    }
    this.stopIds = [...stops];
    this.template =
      options.chatTemplate === null ? null : new ChatTemplate(options.chatTemplate, options.source);
  }

  private idOf(token: string | null, field: string): number | null {
    if (token === null) return null;
    const id = this.withSpecials.token_to_id(token);
    if (id === undefined) {
      throw new ValidationError(`special token '${token}' is not in the vocabulary`, {
        location: { file: this.options.source, field },
      });
    }
    return id;
  }

  /**
   * Text to token ids. `parseSpecial` (default true) turns special-token text such as `<|im_end|>`
   * into its id; false tokenises it as plain text, for untrusted content.
   */
  encode(text: string, options: { addBos?: boolean; parseSpecial?: boolean } = {}): number[] {
    const tokenizer = options.parseSpecial === false ? this.plainTextTokenizer() : this.withSpecials;
    const ids = text === '' ? [] : tokenizer.encode(text, { add_special_tokens: false }).ids;
    const addBos = options.addBos ?? this.options.addBosByDefault;
    if (addBos && this.bosId !== null) return [this.bosId, ...ids];
    return ids;
  }

  /** Token ids to text; `skipSpecial` drops special tokens (default false: they appear as text). */
  decode(ids: readonly number[], options: { skipSpecial?: boolean } = {}): string {
    if (ids.length === 0) return '';
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
        throw new ValidationError(`token id ${id} is outside the vocabulary (0-${this.vocabSize - 1})`, {
          location: { file: this.options.source },
        });
      }
    }
    return this.withSpecials.decode([...ids], { skip_special_tokens: options.skipSpecial ?? false });
  }

  tokenToId(token: string): number | undefined {
    return this.withSpecials.token_to_id(token);
  }

  idToToken(id: number): string | undefined {
    return this.withSpecials.id_to_token(id);
  }

  get hasChatTemplate(): boolean {
    return this.template !== null;
  }

  /** Render messages with the model's chat template and encode the result (special tokens parsed). */
  applyChatTemplate(
    messages: readonly ChatMessage[],
    options: { addGenerationPrompt: boolean },
  ): { text: string; ids: number[] } {
    if (this.template === null) {
      throw new ValidationError('the model has no chat template', {
        location: { file: this.options.source, field: 'chat_template' },
      });
    }
    const text = this.template.render({
      messages,
      addGenerationPrompt: options.addGenerationPrompt,
      bosToken: this.options.bosToken,
      eosToken: this.options.eosToken,
    });
    return { text, ids: this.encode(text, { addBos: false }) };
  }

  /** A second tokenizer without the special added tokens, built on first use. */
  private plainTextTokenizer(): Tokenizer {
    if (this.withoutSpecials === undefined) {
      const json = this.options.tokenizerJson;
      const added = (json['added_tokens'] ?? []) as AddedTokenJson[];
      this.withoutSpecials = new Tokenizer(
        { ...json, added_tokens: added.filter((t) => t.special !== true) },
        { clean_up_tokenization_spaces: false },
      );
    }
    return this.withoutSpecials;
  }
}
