import { z } from 'zod';
import { ChatMessageSchema } from '../models/tokenizer/chat-template.ts';
import type { TextTokenizer } from '../models/tokenizer/text-tokenizer.ts';

/**
 * A prompt as callers give it: token ids, raw text (encoded as is, BOS per the tokenizer's
 * default), or chat messages (rendered with the model's chat template plus the assistant header).
 */
export const PromptSchema = z.union([
  z.object({ ids: z.array(z.number().int().nonnegative()).min(1) }),
  z.object({ text: z.string().min(1) }),
  z.object({ messages: z.array(ChatMessageSchema).min(1) }),
]);
export type Prompt = z.infer<typeof PromptSchema>;

export function encodePrompt(options: { prompt: Prompt; tokenizer: TextTokenizer }): number[] {
  const { prompt, tokenizer } = options;
  if ('ids' in prompt) return [...prompt.ids];
  if ('text' in prompt) return tokenizer.encode(prompt.text);
  return tokenizer.applyChatTemplate(prompt.messages, { addGenerationPrompt: true }).ids;
}

/** Response text: the new tokens decoded, without the stop token that ended them. */
export function responseText(options: {
  tokenIds: readonly number[];
  stopped: boolean;
  tokenizer: TextTokenizer;
}): string {
  const ids = options.stopped ? options.tokenIds.slice(0, -1) : options.tokenIds;
  return options.tokenizer.decode(ids);
}
