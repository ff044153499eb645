import type { Logger } from 'pino';
import { type JudgeUsage, NO_USAGE } from '../contracts/judge-budget.ts';
import type { StepKey } from '../contracts/step-refs.ts';
import { describeFinding, type Finding } from '../defence/findings.ts';
import { llmCriterion } from '../defence/llm-proposal.ts';
import { phrasesOf, tokenize } from '../defence/phrases.ts';
import type { DefenceProposal } from '../defence/records.ts';
import { defenceRefs } from '../defence/refs.ts';
import type { MonitoredResponse } from '../defence/signals.ts';
import { resolveDefenceRubric } from '../defence/step-defence.ts';
import {
  type DefenceRubric,
  defenceRubric,
  proposalId,
  templateCriterion,
  templateRubric,
} from '../defence/templates.ts';
import { generatorClient } from '../rubric-authoring/client.ts';
import type { ChatClient } from '../rubric/judge/chat-client.ts';
import { type JudgeLimits, limitJudgeConfig } from '../rubric/judge/limits.ts';
import type { VerifierRegistry } from '../rubric/verifiers/registry.ts';
import { commitOnce } from '../store/commit-once.ts';
import type { ArtifactStore } from '../store/store.ts';
import { ValidationError } from '../util/errors.ts';
import type { RunContext } from './run-context.ts';

/**
 * A finding of the adaptive-defence monitor (src/step/monitor.ts) as a proposal in the run's review
 * queue: the defence criterion (a rule template's, or the LLM judge's where the run has one), the
 * answers that showed it, and why.
 */

/** The LLM that writes a step's proposals: the run's judge model, under the monitor's limits. */
export interface ProposalWriter {
  client: ChatClient;
  model: string;
}

/**
 * The step's proposal writer where the run has a judge and `proposer` is `auto` (one client for all
 * the step's proposals, so `limits`, the monitor's share of the run's judge budget, bound them
 * together), and what its requests spent. A request past the limits is refused before it is sent,
 * and the proposal falls back to the rule template, saying why.
 */
export function proposalWriter(options: {
  run: RunContext;
  limits: JudgeLimits;
  env: NodeJS.ProcessEnv | undefined;
  log: Logger;
}): { writer: ProposalWriter | undefined; usage: () => JudgeUsage } {
  const judge = options.run.prepared.judge;
  if (options.run.config.defence.adaptive.proposer !== 'auto' || judge === undefined)
    return { writer: undefined, usage: () => NO_USAGE };
  const { client, stats } = generatorClient({
    config: limitJudgeConfig({ config: judge, limits: options.limits }),
    env: options.env ?? process.env,
    log: options.log,
  });
  return {
    writer: { client, model: judge.model },
    usage: () => ({ requests: stats.requests, tokens: stats.promptTokens + stats.completionTokens }),
  };
}

/** Answers shown to a reviewer (and the LLM) per proposal, each at most this long. */
const EXAMPLES = 3;
const EXAMPLE_CHARS = 300;

/** Answers that show a finding, most telling first. */
function examplesOf(finding: Finding, responses: readonly MonitoredResponse[]): string[] {
  const pick = (list: readonly MonitoredResponse[]) =>
    list
      .slice(0, EXAMPLES)
      .map((r) => (r.text.length > EXAMPLE_CHARS ? `${r.text.slice(0, EXAMPLE_CHARS)}...` : r.text));
  const byReward = [...responses].sort((a, b) => (b.reward ?? -1) - (a.reward ?? -1));
  switch (finding.kind) {
    case 'phrase':
      return pick(
        byReward.filter((r) => phrasesOf(r.text, tokenize(finding.phrase).length).has(finding.phrase)),
      );
    case 'monitor':
      return pick(byReward.filter((r) => r.failed.includes(finding.criterionId)));
    case 'disagreement':
      return pick(
        byReward.filter((r) =>
          r.judgeDisagreesOn?.some(
            (c) => c.rubricId === finding.rubricId && c.criterionId === finding.criterionId,
          ),
        ),
      );
    case 'length':
      return pick([...responses].sort((a, b) => b.text.length - a.text.length));
    case 'repetition':
      return pick(byReward);
  }
}

/** Why a proposed rubric would not resolve (the schema or a verifier refuses it); undefined when it does. */
function rubricProblem(rubric: DefenceRubric, verifiers: VerifierRegistry): string | undefined {
  try {
    resolveDefenceRubric({ rubric: { ...rubric }, name: rubric.id, verifiers });
    return undefined;
  } catch (err) {
    if (err instanceof ValidationError) return err.message;
    throw err;
  }
}

/**
 * Puts a finding's proposal into the review queue (create-only: a finding proposed at an earlier
 * step, or by an earlier attempt of this one, keeps its first proposal). Answers the proposal's id
 * when it belongs to this step.
 */
export async function propose(options: {
  store: ArtifactStore;
  key: StepKey;
  finding: Finding;
  responses: readonly MonitoredResponse[];
  /** The LLM that writes it (proposalWriter); undefined: the rule template does. */
  writer: ProposalWriter | undefined;
  log: Logger;
  verifiers: VerifierRegistry;
}): Promise<string | undefined> {
  const { store, key, finding, writer } = options;
  const id = proposalId(finding);
  const ref = defenceRefs.proposal(key.trainRunId, id);
  const known = await store.getRef(ref);
  if (known !== undefined) {
    const earlier = (await store.getJson(known)) as { step?: unknown };
    return earlier.step === key.step ? id : undefined;
  }
  const examples = examplesOf(finding, options.responses);
  const source = `adaptive defence, run ${key.trainRunId} step ${key.step}`;
  let rubric = templateRubric({ finding, trainRunId: key.trainRunId, step: key.step });
  let proposer: DefenceProposal['proposer'] = { kind: 'template' };
  if (writer !== undefined) {
    const written = await llmCriterion({ client: writer.client, finding, examples, log: options.log });
    const llmRubric = written.ok
      ? defenceRubric({ id, criterion: written.criterion, source: `${source}, written by ${writer.model}` })
      : undefined;
    const problem = llmRubric === undefined ? undefined : rubricProblem(llmRubric, options.verifiers);
    if (llmRubric !== undefined && problem === undefined) {
      rubric = llmRubric;
      proposer = { kind: 'llm', model: writer.model };
    } else {
      rubric = defenceRubric({
        id,
        criterion: templateCriterion(finding),
        source: `${source}, rule template`,
      });
      const fallback = written.ok ? `not a valid rubric: ${problem}` : written.fallback;
      proposer = { kind: 'template', model: writer.model, fallback };
    }
  }
  const record: DefenceProposal = {
    format: 'anchorage.defence-proposal/1',
    id,
    trainRunId: key.trainRunId,
    step: key.step,
    finding,
    reason: describeFinding(finding),
    examples,
    rubric: { ...rubric },
    proposer,
  };
  const { address } = await store.putJson(record);
  const committed = await commitOnce({ store, ref, address });
  if (!committed.created) {
    const first = (await store.getJson(committed.address)) as { step?: unknown };
    return first.step === key.step ? id : undefined;
  }
  return id;
}
