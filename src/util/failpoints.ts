import { ValidationError } from './errors.ts';
import {
  FAILPOINT_ACTIONS,
  FAILPOINT_NAMES,
  type FailpointAction,
  type FailpointFacts,
  type FailpointName,
} from './failpoint-names.ts';
import { logger } from './logger.ts';

/**
 * Failpoints: named places in the code (declared in src/util/failpoint-names.ts) where a test stops
 * or kills a process deterministically instead of racing it on timing. `ANCHORAGE_FAILPOINTS` arms
 * them, `;`-separated, each as `name[@action][:fact=value,...]`. When the code reaches
 * `failpoint(name, facts)` with every listed fact equal, it logs "failpoint reached" (name, action
 * and facts; log lines are written synchronously) and then
 * - `pause` (default): waits forever; the process keeps running until the test kills it;
 * - `kill`: sends its own process SIGKILL, so it dies exactly there (the test waits for the exit);
 * - `nan`: only for `failpointValue`, which then returns NaN instead of the value it was given.
 * A failpoint fires each time it is reached with matching facts. Unarmed, it costs a map lookup.
 *
 *   ANCHORAGE_FAILPOINTS='rollouts.group-written@kill:step=2,groups=3'
 *
 * Compiled in always, armed only by the environment (tests); an unknown name or action is an error.
 */
export const FAILPOINTS_ENV = 'ANCHORAGE_FAILPOINTS';

interface Armed {
  action: FailpointAction;
  conditions: Record<string, string>;
}

/** Parses an `ANCHORAGE_FAILPOINTS` value; names and actions are checked against the declared lists. */
export function parseFailpoints(spec: string | undefined): Map<FailpointName, Armed> {
  const out = new Map<FailpointName, Armed>();
  for (const entry of (spec ?? '').split(';')) {
    const text = entry.trim();
    if (text === '') continue;
    const colon = text.indexOf(':');
    const head = colon < 0 ? text : text.slice(0, colon);
    const facts = colon < 0 ? '' : text.slice(colon + 1);
    const [name = '', action = 'pause'] = head.split('@', 2).map((s) => s.trim());
    if (!(FAILPOINT_NAMES as string[]).includes(name)) {
      throw new ValidationError(
        `${FAILPOINTS_ENV}: unknown failpoint '${name}'; known: ${FAILPOINT_NAMES.join(', ')}`,
      );
    }
    if (!(FAILPOINT_ACTIONS as readonly string[]).includes(action)) {
      throw new ValidationError(
        `${FAILPOINTS_ENV}: failpoint '${name}' has unknown action '${action}'; expected one of ${FAILPOINT_ACTIONS.join(', ')}`,
      );
    }
    const conditions: Record<string, string> = {};
    for (const pair of facts.split(',')) {
      if (pair.trim() === '') continue;
      const [key, value] = pair.split('=', 2);
      if (key === undefined || key.trim() === '' || value === undefined) {
        throw new ValidationError(
          `${FAILPOINTS_ENV}: failpoint '${name}': expected fact=value, got '${pair}'`,
        );
      }
      conditions[key.trim()] = value.trim();
    }
    out.set(name as FailpointName, { action: action as FailpointAction, conditions });
  }
  return out;
}

/** An `ANCHORAGE_FAILPOINTS` entry, for tests: `failpointSpec('checkpoint.written', 'kill', { step: 2 })`. */
export function failpointSpec(
  name: FailpointName,
  action: FailpointAction,
  facts: FailpointFacts = {},
): string {
  const pairs = Object.entries(facts).map(([k, v]) => `${k}=${v}`);
  return `${name}@${action}${pairs.length === 0 ? '' : `:${pairs.join(',')}`}`;
}

// Parsed again only when the variable changes (in-process tests arm failpoints by setting it).
let parsedFrom: string | undefined;
let armed = new Map<FailpointName, Armed>();

function armedAt(name: FailpointName, facts: FailpointFacts): Armed | undefined {
  const spec = process.env[FAILPOINTS_ENV];
  if (spec !== parsedFrom) {
    armed = parseFailpoints(spec);
    parsedFrom = spec;
  }
  const point = armed.get(name);
  if (point === undefined) return undefined;
  if (!Object.entries(point.conditions).every(([k, v]) => String(facts[k]) === v)) return undefined;
  logger('failpoint').warn({ failpoint: name, action: point.action, ...facts }, 'failpoint reached');
  return point;
}

/** Pauses forever or kills the process when the failpoint `name` is armed and its facts match. */
export async function failpoint(name: FailpointName, facts: FailpointFacts): Promise<void> {
  const point = armedAt(name, facts);
  if (point === undefined) return;
  if (point.action === 'nan') {
    throw new ValidationError(`failpoint '${name}' has no value to make NaN: arm it with @pause or @kill`);
  }
  if (point.action === 'kill') process.kill(process.pid, 'SIGKILL');
  await new Promise<never>(() => undefined);
}

/** `value`, or NaN when the failpoint `name` is armed with `nan` and its facts match. */
export function failpointValue(name: FailpointName, facts: FailpointFacts, value: number): number {
  const point = armedAt(name, facts);
  if (point === undefined) return value;
  if (point.action !== 'nan') {
    throw new ValidationError(
      `failpoint '${name}' is a value failpoint: arm it with @nan, not @${point.action}`,
    );
  }
  return Number.NaN;
}
