import type { CliCommand } from '../command.ts';
import { benchCommand } from './bench.ts';
import { budgetCommand } from './budget.ts';
import { defenceCommand } from './defence.ts';
import { devServerCommand } from './dev-server.ts';
import { evalCommand } from './eval.ts';
import { evalScheduleCommand } from './eval-schedule.ts';
import { exportCommand } from './export.ts';
import { generateCommand } from './generate.ts';
import { ifevalCommand } from './ifeval.ts';
import { reportCommand } from './report.ts';
import { rubricsCommand } from './rubrics.ts';
import { runsCommand } from './runs.ts';
import { scoreCommand } from './score.ts';
import { serveCommand } from './serve.ts';
import { trainCommand } from './train.ts';

/** Every top-level command, in the order `anchorage --help` lists them. */
export const COMMANDS: CliCommand[] = [
  ifevalCommand,
  benchCommand,
  scoreCommand,
  rubricsCommand,
  devServerCommand,
  generateCommand,
  serveCommand,
  trainCommand,
  runsCommand,
  budgetCommand,
  defenceCommand,
  evalCommand,
  evalScheduleCommand,
  exportCommand,
  reportCommand,
];
