import { type PromptRecord, promptMessages, promptText } from '../data/prompt-record.ts';
import type { Policy } from '../engine/policy.ts';
import type { Prompt } from '../engine/prompts.ts';

/** A prompt record as the engine takes it: chat messages when the model has a chat template, else text. */
export function enginePrompt(policy: Policy, record: PromptRecord): Prompt {
  return policy.tokenizer.hasChatTemplate
    ? { messages: promptMessages(record) }
    : {
        text:
          promptMessages(record)
            .map((m) => m.content)
            .join('\n\n') || promptText(record),
      };
}
