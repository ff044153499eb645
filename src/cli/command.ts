import type { Command } from 'commander';

/**
 * A top-level `anchorage` command. Each lives in its own file under `commands/` and is listed in
 * `commands/index.ts`; `register` adds it (and its subcommands) to the program.
 */
export interface CliCommand {
  name: string;
  register(program: Command): void;
}
