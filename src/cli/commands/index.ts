import type { CliCommand } from '../command.ts';

/** Every top-level command, in the order `anchorage --help` lists them. */
export const COMMANDS: CliCommand[] = [];
