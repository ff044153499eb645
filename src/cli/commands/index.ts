import type { CliCommand } from '../command.ts';
import { ifevalCommand } from './ifeval.ts';

/** Every top-level command, in the order `anchorage --help` lists them. */
export const COMMANDS: CliCommand[] = [
  ifevalCommand,
];
