import { Template } from '@huggingface/jinja';
import { z } from 'zod';
import { ValidationError } from '../../util/errors.ts';

export const ChatMessageSchema = z.object({
  role: z.string().min(1),
  content: z.string(),
});
export type ChatMessage = z.infer<typeof ChatMessageSchema>;

/**
 * A compiled Jinja chat template (`tokenizer.chat_template` in GGUF, `chat_template` in
 * tokenizer_config.json). `source` names where it came from, for error messages.
 */
export class ChatTemplate {
  private readonly template: Template;

  constructor(
    readonly text: string,
    private readonly source: string,
  ) {
    try {
      this.template = new Template(text);
    } catch (err) {
      throw new ValidationError(`cannot parse the chat template: ${(err as Error).message}`, {
        location: { file: source, field: 'chat_template' },
        cause: err,
      });
    }
  }

  /** Render messages to prompt text; special tokens appear as their text. */
  render(options: {
    messages: readonly ChatMessage[];
    addGenerationPrompt: boolean;
    bosToken: string | null;
    eosToken: string | null;
  }): string {
    const messages = z.array(ChatMessageSchema).parse(options.messages);
    try {
      return this.template.render({
        messages,
        add_generation_prompt: options.addGenerationPrompt,
        bos_token: options.bosToken ?? '',
        eos_token: options.eosToken ?? '',
      });
    } catch (err) {
      throw new ValidationError(`the chat template failed to render: ${(err as Error).message}`, {
        location: { file: this.source, field: 'chat_template' },
        cause: err,
      });
    }
  }
}
