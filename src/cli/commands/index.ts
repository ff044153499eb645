import type { CliCommand } from '../command.ts';
import { ifevalCommand } from './ifeval.ts';
import { rubricsCommand } from './rubrics.ts';
import { benchCommand } from './bench.ts';
import { devServerCommand } from './dev-server.ts';

/** Every top-level command, in the order `anchorage --help` lists them. */
export const COMMANDS: CliCommand[] = [
  ifevalCommand,
  rubricsCommand,
  benchCommand,
  devServerCommand,
];
