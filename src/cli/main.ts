import { Command, CommanderError } from 'commander';
import { AnchorageError } from '../util/errors.ts';
import { redactSecrets } from '../util/secrets.ts';
import { COMMANDS } from './commands/index.ts';

export function buildProgram(): Command {
  const program = new Command('anchorage')
    .description('Rubric-anchored reinforcement learning for language models, on Temporal')
    .showHelpAfterError()
    .exitOverride();
  for (const command of COMMANDS) command.register(program);
  return program;
}

/** Runs the CLI; bad input prints one clear line and exits 2, other failures exit 1. */
export async function main(argv: readonly string[]): Promise<void> {
  try {
    await buildProgram().parseAsync([...argv]);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    if (err instanceof AnchorageError) {
      process.stderr.write(`anchorage: ${redactSecrets(err.message)}\n`);
      process.exitCode = err.retryable ? 1 : 2;
      return;
    }
    const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stderr.write(`anchorage: ${redactSecrets(text)}\n`);
    process.exitCode = 1;
  }
}
