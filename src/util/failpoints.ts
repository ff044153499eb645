import { logger } from './logger.ts';

/**
 * Failpoints: named places in the code where a test can stop a process deterministically instead
 * of racing it on timing. `ANCHORAGE_FAILPOINTS` lists them as `name:fact=value,fact=value`,
 * separated by `;`. When the code reaches `failpoint(name, facts)` with every listed fact equal,
 * it logs "failpoint reached" (with the name and facts) and pauses there forever: the process keeps
 * running (timers fire, heartbeats go out) until the test kills it. Unset, a failpoint costs a
 * map lookup.
 *
 *   ANCHORAGE_FAILPOINTS='rollouts.group-written:step=2,groups=3'
 */
export const FAILPOINTS_ENV = 'ANCHORAGE_FAILPOINTS';

type Facts = Readonly<Record<string, string | number>>;

function parse(spec: string | undefined): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  for (const entry of (spec ?? '').split(';')) {
    const [name, facts = ''] = entry.trim().split(':', 2) as [string, string?];
    if (name === '') continue;
    const conditions: Record<string, string> = {};
    for (const pair of facts.split(',')) {
      const [key, value] = pair.split('=', 2);
      if (key !== undefined && key.trim() !== '' && value !== undefined)
        conditions[key.trim()] = value.trim();
    }
    out.set(name, conditions);
  }
  return out;
}

const armed = parse(process.env[FAILPOINTS_ENV]);

/** Pauses forever when the failpoint `name` is armed and every fact it names matches `facts`. */
export async function failpoint(name: string, facts: Facts): Promise<void> {
  const conditions = armed.get(name);
  if (conditions === undefined) return;
  if (!Object.entries(conditions).every(([k, v]) => String(facts[k]) === v)) return;
  logger('failpoint').warn({ failpoint: name, ...facts }, 'failpoint reached');
  await new Promise<never>(() => undefined);
}
