import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ValidationError } from '../../util/errors.ts';
import { TextTokenizer, type TextTokenizerOptions } from './text-tokenizer.ts';

/** A special token in tokenizer_config.json: a plain string or an AddedToken object. */
const TokenSchema = z.union([z.string(), z.looseObject({ content: z.string() })]).nullish();

const TokenizerConfigSchema = z.looseObject({
  chat_template: z
    .union([z.string(), z.array(z.looseObject({ name: z.string(), template: z.string() }))])
    .nullish(),
  bos_token: TokenSchema,
  eos_token: TokenSchema,
  pad_token: TokenSchema,
  add_bos_token: z.boolean().nullish(),
});

function tokenText(token: z.infer<typeof TokenSchema>): string | null {
  if (token === undefined || token === null) return null;
  return typeof token === 'string' ? token : token.content;
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new ValidationError(`cannot read JSON: ${(err as Error).message}`, { location: { file: path } });
  }
}

/**
 * Whether tokenizer.json's post-processor starts a single sequence with BOS (Llama 3 style), which
 * is how a folder says "add BOS" when tokenizer_config.json does not.
 */
function postProcessorAddsBos(tokenizerJson: Record<string, unknown>, bos: string | null): boolean {
  const post = tokenizerJson['post_processor'] as { type?: string; single?: unknown[] } | null | undefined;
  if (bos === null || post?.type !== 'TemplateProcessing' || !Array.isArray(post.single)) return false;
  const first = post.single[0] as { SpecialToken?: { id?: string } } | undefined;
  return first?.SpecialToken?.id === bos;
}

/**
 * The tokenizer of a Hugging Face model folder: tokenizer.json, plus tokenizer_config.json for the
 * special tokens and chat template (or chat_template.jinja beside it).
 */
export async function tokenizerFromHfFolder(options: { dir: string }): Promise<TextTokenizer> {
  const { dir } = options;
  const jsonPath = join(dir, 'tokenizer.json');
  const tokenizerJson = await readJson(jsonPath);
  if (typeof tokenizerJson !== 'object' || tokenizerJson === null || !('model' in tokenizerJson)) {
    throw new ValidationError('expected a tokenizer.json object with a model', {
      location: { file: jsonPath },
    });
  }
  const configPath = join(dir, 'tokenizer_config.json');
  const rawConfig = existsSync(configPath) ? await readJson(configPath) : {};
  const parsed = TokenizerConfigSchema.safeParse(rawConfig);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ValidationError(issue.message, { location: { file: configPath, field: issue.path.join('.') } });
  }
  const config = parsed.data;
  let chatTemplate: string | null = null;
  if (typeof config.chat_template === 'string') chatTemplate = config.chat_template;
  else if (Array.isArray(config.chat_template)) {
    chatTemplate = config.chat_template.find((t) => t.name === 'default')?.template ?? null;
  } else if (existsSync(join(dir, 'chat_template.jinja'))) {
    chatTemplate = await readFile(join(dir, 'chat_template.jinja'), 'utf8');
  }
  const json = tokenizerJson as Record<string, unknown>;
  const bosToken = tokenText(config.bos_token);
  return new TextTokenizer({
    tokenizerJson: json,
    chatTemplate,
    bosToken,
    eosToken: tokenText(config.eos_token),
    padToken: tokenText(config.pad_token),
    addBosByDefault: config.add_bos_token ?? postProcessorAddsBos(json, bosToken),
    source: dir,
  });
}

/**
 * The files of a Hugging Face folder that `tokenizerFromHfFolder` reads back as the same tokenizer:
 * tokenizer.json, and tokenizer_config.json with the special tokens, BOS default and chat template.
 */
export function hfTokenizerFiles(options: TextTokenizerOptions): Map<string, Record<string, unknown>> {
  const config: Record<string, unknown> = {
    tokenizer_class: 'PreTrainedTokenizerFast',
    clean_up_tokenization_spaces: false,
    add_bos_token: options.addBosByDefault,
    bos_token: options.bosToken,
    eos_token: options.eosToken,
    pad_token: options.padToken,
    ...(options.chatTemplate === null ? {} : { chat_template: options.chatTemplate }),
  };
  return new Map([
    ['tokenizer.json', options.tokenizerJson],
    ['tokenizer_config.json', config],
  ]);
}
