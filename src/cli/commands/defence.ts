import type { Command } from 'commander';
import { z } from 'zod';
import { storeLocationFor } from '../../config/store-env.ts';
import { describeFinding } from '../../defence/findings.ts';
import { decideProposal, listProposals, type QueuedProposal } from '../../defence/review.ts';
import { openStore } from '../../store/open-store.ts';
import type { CliCommand } from '../command.ts';
import { out } from '../io.ts';

const STORE_FLAG = [
  '--store <dir|url>',
  'artifact store with the run, a folder or s3://<bucket>/<prefix> (default: ANCHORAGE_STORE_URL, else ANCHORAGE_STORE_DIR or <data dir>/store)',
] as const;

const StoreOption = z.object({ store: z.string().min(1).optional() });
const ListOptions = StoreOption.extend({ all: z.boolean().default(false), json: z.boolean().default(false) });
const DecideOptions = StoreOption.extend({ reason: z.string().min(1).optional() });

/** One proposal for people: id, status, step, what was seen, the criterion, and example answers. */
export function formatProposal(q: QueuedProposal): string {
  const p = q.proposal;
  const criteria = Array.isArray(p.rubric.criteria)
    ? (p.rubric.criteria as Array<Record<string, unknown>>)
    : [];
  const lines = [
    `${p.id}  ${q.status}  proposed after step ${p.step} by ${p.proposer.kind === 'llm' ? `the LLM judge (${p.proposer.model})` : 'a rule template'}${q.decision?.reason === undefined ? '' : ` (${q.decision.reason})`}`,
    `  seen: ${describeFinding(p.finding)}`,
    ...criteria.map((c) => `  veto: ${String(c.description)} [${JSON.stringify(c.evaluator)}]`),
    ...(p.proposer.fallback === undefined ? [] : [`  (LLM proposal not used: ${p.proposer.fallback})`]),
    ...p.examples.map((e) => `  e.g. ${JSON.stringify(e)}`),
  ];
  return lines.join('\n');
}

/**
 * `anchorage defence list|accept|reject <trainRunId>`: the review queue of a run's proposed
 * defence criteria (`defence.adaptive`, src/defence/). An accepted proposal applies from the next
 * step planned after the decision; a decision is final.
 */
export const defenceCommand: CliCommand = {
  name: 'defence',
  register(program: Command) {
    const defence = program
      .command('defence')
      .description("review the defence criteria a run's adaptive-defence monitor proposed");
    defence
      .command('list <trainRunId>')
      .description('list the proposals waiting for review (--all: decided ones too)')
      .option(...STORE_FLAG)
      .option('--all', 'also list accepted and rejected proposals')
      .option('--json', 'print the proposals as JSON lines')
      .action(async (trainRunId: string, raw: unknown) => {
        const options = ListOptions.parse(raw);
        const store = openStore(storeLocationFor({ flag: options.store }));
        const queued = (await listProposals({ store, trainRunId })).filter(
          (q) => options.all || q.status === 'pending',
        );
        if (options.json) {
          for (const q of queued) out(JSON.stringify({ status: q.status, ...q.proposal }));
          return;
        }
        if (queued.length === 0) {
          out(`no ${options.all ? '' : 'pending '}defence proposals for ${trainRunId}`);
          return;
        }
        out(queued.map(formatProposal).join('\n\n'));
      });
    for (const [verb, decision] of [
      ['accept', 'accepted'],
      ['reject', 'rejected'],
    ] as const) {
      defence
        .command(`${verb} <trainRunId> <proposal...>`)
        .description(
          verb === 'accept'
            ? 'accept proposals: they apply from the next step planned'
            : 'reject proposals: they never apply (not even with autoApply)',
        )
        .option(...STORE_FLAG)
        .option('--reason <text>', 'why, kept with the decision')
        .action(async (trainRunId: string, ids: string[], raw: unknown) => {
          const options = DecideOptions.parse(raw);
          const store = openStore(storeLocationFor({ flag: options.store }));
          for (const id of ids) {
            const { decision: held, created } = await decideProposal({
              store,
              trainRunId,
              id,
              decision,
              ...(options.reason === undefined ? {} : { reason: options.reason }),
            });
            out(
              created
                ? `${id}: ${held.decision}`
                : `${id}: already ${held.decision} at ${held.at}; a decision is final`,
            );
          }
        });
    }
  },
};
