import type { Command } from 'commander';
import { z } from 'zod';
import { Policy } from '../../engine/policy.ts';
import { modelArgument } from '../../models/default-model.ts';
import type { CliCommand } from '../command.ts';
import { numberFlag, out, textOrFile } from '../io.ts';

const GenerateOptions = z.object({
  model: z.string().optional(),
  prompt: z.string(),
  chat: z.boolean().default(false),
  maxNewTokens: z.string().default('128'),
  temperature: z.string().default('0.7'),
  topP: z.string().default('1'),
  topK: z.string().default('0'),
  seed: z.string().default('0'),
  lora: z.string().optional(),
  threads: z.string().optional(),
  json: z.boolean().default(false),
});

export const generateCommand: CliCommand = {
  name: 'generate',
  register(program: Command) {
    program
      .command('generate')
      .description(
        'sample a response from a model (GGUF file or Hugging Face folder), optionally with LoRA adapters',
      )
      .option(
        '--model <path>',
        'GGUF file or model folder (absent or "default": the SmolLM2 model from setup)',
      )
      .requiredOption('--prompt <text|@file>', 'the prompt')
      .option('--chat', "wrap the prompt as a user message in the model's chat template")
      .option('--max-new-tokens <n>', 'at most this many new tokens', '128')
      .option('--temperature <t>', 'sampling temperature; 0 is greedy', '0.7')
      .option('--top-p <p>', 'nucleus sampling: keep the most likely tokens up to this mass', '1')
      .option('--top-k <k>', 'keep only the k most likely tokens (0 = all)', '0')
      .option('--seed <n>', 'random seed (same seed, same output)', '0')
      .option(
        '--lora <dir>',
        'LoRA adapters: a checkpoint folder, or a PEFT adapter folder (anchorage export --format peft)',
      )
      .option('--threads <n>', 'ONNX Runtime intra-op threads')
      .option('--json', 'print token ids, text and per-token log-probs as JSON')
      .action(async (raw: unknown) => runGenerate(GenerateOptions.parse(raw)));
  },
};

async function runGenerate(options: z.infer<typeof GenerateOptions>): Promise<void> {
  const prompt = textOrFile(options.prompt, '--prompt');
  const sampling = {
    maxNewTokens: numberFlag(options.maxNewTokens, '--max-new-tokens', { min: 1, integer: true }),
    temperature: numberFlag(options.temperature, '--temperature', { min: 0 }),
    topP: numberFlag(options.topP, '--top-p', { min: 0 }),
    topK: numberFlag(options.topK, '--top-k', { min: 0, integer: true }),
    seed: numberFlag(options.seed, '--seed', { min: 0, integer: true }),
  };
  const threads =
    options.threads === undefined
      ? undefined
      : numberFlag(options.threads, '--threads', { min: 1, integer: true });
  const policy = await Policy.load({
    model: modelArgument(options.model),
    ...(threads === undefined ? {} : { threads }),
    ...(options.lora === undefined ? {} : { checkpoint: options.lora }),
  });
  try {
    const { results, stats } = await policy.generate({
      prompts: [options.chat ? { messages: [{ role: 'user', content: prompt }] } : { text: prompt }],
      sampling,
    });
    const r = results[0]!;
    if (options.json) {
      out(
        JSON.stringify({
          promptIds: r.promptIds,
          tokenIds: r.tokenIds,
          text: r.text,
          logprobs: r.logprobs,
          samplingLogprobs: r.samplingLogprobs,
          finishReason: r.finishReason,
          stats,
        }),
      );
      return;
    }
    out(r.text);
  } finally {
    await policy.close();
  }
}
