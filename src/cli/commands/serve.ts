import { availableParallelism } from 'node:os';
import { basename, extname } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import type { Policy } from '../../engine/policy.ts';
import { ChatServer, DEFAULT_LIMITS } from '../../serve/chat-server.ts';
import { ServedModel } from '../../serve/served-model.ts';
import { logger } from '../../util/logger.ts';
import type { CliCommand } from '../command.ts';
import { numberFlag, out } from '../io.ts';
import { loadPolicyFrom } from '../policy-source.ts';

const log = logger('serve');

const ServeOptions = z.object({
  model: z.string().optional(),
  lora: z.string().optional(),
  run: z.string().optional(),
  step: z.string().optional(),
  store: z.string().optional(),
  name: z.string().optional(),
  host: z.string().default('127.0.0.1'),
  port: z.string().default('8000'),
  threads: z.string().optional(),
  slots: z.string().default(String(DEFAULT_LIMITS.slots)),
  queue: z.string().default(String(DEFAULT_LIMITS.queue)),
  maxBodyBytes: z.string().default(String(DEFAULT_LIMITS.maxBodyBytes)),
  defaultMaxTokens: z.string().default(String(DEFAULT_LIMITS.defaultMaxTokens)),
  graceSeconds: z.string().default('30'),
});
type ServeOptions = z.infer<typeof ServeOptions>;

export const serveCommand: CliCommand = {
  name: 'serve',
  register(program: Command) {
    program
      .command('serve')
      .description(
        'serve a model (plus LoRA adapters) over an OpenAI-compatible HTTP API: /v1/models, /v1/chat/completions (streaming, JSON-schema-constrained output)',
      )
      .option(
        '--model <path>',
        'GGUF file or model folder (absent or "default": the SmolLM2 model from setup; with --run, its model)',
      )
      .option(
        '--lora <dir>',
        'LoRA adapters: a checkpoint folder, or a PEFT adapter folder (anchorage export --format peft)',
      )
      .option('--run <trainRunId>', "a training run's checkpoint (with --step), from the artifact store")
      .option('--step <n>', 'with --run: the step after which the served checkpoint was committed')
      .option(
        '--store <dir|url>',
        'with --run: the artifact store, a folder or s3://<bucket>/<prefix> (default: ANCHORAGE_STORE_URL, else ANCHORAGE_STORE_DIR or <data dir>/store)',
      )
      .option('--name <id>', 'the model name clients ask for (default: from the model file, folder or run)')
      .option('--host <address>', 'address to listen on', '127.0.0.1')
      .option('--port <n>', 'port to listen on (0: any free port)', '8000')
      .option('--threads <n>', 'ONNX Runtime intra-op threads (default: every core)')
      .option('--slots <n>', 'requests decoded together (the batch)', String(DEFAULT_LIMITS.slots))
      .option(
        '--queue <n>',
        'requests waiting for a slot at most; beyond them the answer is 429',
        String(DEFAULT_LIMITS.queue),
      )
      .option(
        '--max-body-bytes <n>',
        'largest request body (413 beyond)',
        String(DEFAULT_LIMITS.maxBodyBytes),
      )
      .option(
        '--default-max-tokens <n>',
        'max_tokens of a request that gives none (capped by the context)',
        String(DEFAULT_LIMITS.defaultMaxTokens),
      )
      .option('--grace-seconds <n>', 'on SIGTERM/SIGINT: how long running requests may take to finish', '30')
      .action(async (raw: unknown) => runServe(ServeOptions.parse(raw)));
  },
};

async function runServe(options: ServeOptions): Promise<void> {
  const int = (value: string, flag: string, min = 1) => numberFlag(value, flag, { min, integer: true });
  const limits = {
    slots: int(options.slots, '--slots'),
    queue: int(options.queue, '--queue', 0),
    maxBodyBytes: int(options.maxBodyBytes, '--max-body-bytes'),
    defaultMaxTokens: int(options.defaultMaxTokens, '--default-max-tokens'),
    retryAfterSeconds: DEFAULT_LIMITS.retryAfterSeconds,
  };
  const port = int(options.port, '--port', 0);
  const graceMs = numberFlag(options.graceSeconds, '--grace-seconds', { min: 0 }) * 1000;
  const threads = options.threads === undefined ? availableParallelism() : int(options.threads, '--threads');
  const { policy, name } = await loadServed(options, threads);
  const model = new ServedModel(policy, { id: options.name ?? name, slots: limits.slots });
  const server = new ChatServer(model, limits);
  try {
    await model.warm();
    const url = await server.listen({ port, host: options.host });
    log.info({ url, model: model.id, ...limits }, 'serving');
    out(`serving ${model.id} at ${url}/v1 (SIGTERM or Ctrl-C stops)`);
  } catch (err) {
    await model.close({ graceMs: 0 });
    throw err;
  }
  await new Promise<void>((resolveStopped) => {
    const stop = (signal: NodeJS.Signals) => {
      log.info({ signal, graceMs }, 'shutting down: finishing running requests');
      // A second signal stops at once.
      process.once(signal, () => process.exit(130));
      void server.shutdown({ graceMs }).then(resolveStopped, (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        resolveStopped();
      });
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}

/** The policy to serve and its default name: the model file's, the adapter folder's or `<run>-step-<n>`. */
async function loadServed(options: ServeOptions, threads: number): Promise<{ policy: Policy; name: string }> {
  const { policy, model, adapters } = await loadPolicyFrom({
    flags: {
      model: options.model,
      folder: { flag: '--lora', path: options.lora },
      run: options.run,
      step: options.step,
      store: options.store,
    },
    threads,
    purpose: 'serve',
  });
  if (adapters === null) return { policy, name: basename(model, extname(model)) };
  const name =
    adapters.kind === 'folder' ? basename(adapters.dir) : `${adapters.trainRunId}-step-${adapters.step}`;
  return { policy, name };
}
