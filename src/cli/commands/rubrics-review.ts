import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { parseRubrics } from '../../rubric/corpus.ts';
import {
  type GeneratedRubric,
  fileStem,
  listGenerated,
  readGenerated,
  readRejects,
  writeFileAtomic,
  writeGenerated,
} from '../../rubric-authoring/generated-file.ts';
import { type DecisionsFile, readDecisions, writeDecisions } from '../../rubric-authoring/review-decisions.ts';
import { formatReviewReport, reviewReport } from '../../rubric-authoring/review-report.ts';
import { validateRubric } from '../../rubric-authoring/validate.ts';
import type { RubricFile } from '../../rubric/schema.ts';
import { defaultVerifiers } from '../../rubric/verifiers/index.ts';
import { ValidationError } from '../../util/errors.ts';
import { out } from '../io.ts';

/**
 * `anchorage rubrics review DIR`: a person goes through the rubrics `rubrics generate` wrote, each
 * shown under its prompt, and accepts, edits (in $VISUAL or $EDITOR, as YAML), or rejects it, or
 * quits. Decisions go to DIR/review.json after each one (review-decisions.ts), so a later review
 * starts at the first undecided rubric; an accepted rubric is also written as a corpus rubric file,
 * DIR/accepted/<prompt>.yaml. An edit that is not a valid rubric is refused, naming the field, and
 * the rubric stays as it was. `--report` prints the statistics and asks nothing.
 */
export function addRubricsReview(rubrics: Command): void {
  rubrics
    .command('review')
    .description('accept, edit or reject generated rubrics in the terminal; --report prints statistics')
    .argument('<dir>', 'folder written by `anchorage rubrics generate`')
    .option('--report', 'print counts and criteria statistics, without asking anything', false)
    .action((dir: string, flags: { report: boolean }) => (flags.report ? report(dir) : review(dir)));
}

function report(dir: string): void {
  const r = reviewReport({
    generated: listGenerated(dir).map(readGenerated),
    decisions: readDecisions(dir),
    rejects: readRejects(dir),
  });
  for (const line of formatReviewReport(r)) out(line);
}

/** Reads answers line by line from stdin (a terminal or a pipe); undefined at end of input. */
function lineReader() {
  const rl = createInterface({ input: process.stdin, terminal: false });
  const lines = rl[Symbol.asyncIterator]();
  return {
    ask: async (question: string): Promise<string | undefined> => {
      process.stdout.write(question);
      const next = await lines.next();
      return next.done ? undefined : next.value.trim();
    },
    close: () => rl.close(),
  };
}

interface Reviewing {
  dir: string;
  current: GeneratedRubric;
  edited: boolean;
  decisions: DecisionsFile;
  ask: (question: string) => Promise<string | undefined>;
}

/** What each answer does; `done` ends the current rubric, `quit` the review. */
type Action = (r: Reviewing) => Promise<'done' | 'again' | 'quit'>;

const ACTIONS: Record<string, Action> = {
  a: async (r) => {
    decide(r, { decision: 'accepted' });
    const acceptedDir = join(r.dir, 'accepted');
    mkdirSync(acceptedDir, { recursive: true });
    writeFileAtomic(join(acceptedDir, `${fileStem(r.current.promptId)}.yaml`), stringify(r.current.rubric));
    out(`accepted ${r.current.promptId}`);
    return 'done';
  },
  r: async (r) => {
    const reason = (await r.ask('reason (empty for none): ')) ?? '';
    decide(r, { decision: 'rejected', ...(reason === '' ? {} : { reason }) });
    out(`rejected ${r.current.promptId}`);
    return 'done';
  },
  e: async (r) => {
    const edited = editInEditor(r.current.rubric);
    if (!edited.ok) {
      out(`refused: ${edited.error}`);
      return 'again';
    }
    r.current = {
      ...r.current,
      rubric: edited.rubric,
      provenance: { ...r.current.provenance, editedAt: new Date().toISOString() },
    };
    r.edited = true;
    writeGenerated(r.dir, r.current);
    show(r.current);
    return 'again';
  },
  q: async () => 'quit',
};

function decide(r: Reviewing, d: { decision: 'accepted' | 'rejected'; reason?: string }): void {
  r.decisions.decisions[r.current.promptId] = { ...d, at: new Date().toISOString(), edited: r.edited };
  writeDecisions(r.dir, r.decisions);
}

async function review(dir: string): Promise<void> {
  const decisions = readDecisions(dir);
  const all = listGenerated(dir).map(readGenerated);
  const pending = all.filter((g) => decisions.decisions[g.promptId] === undefined);
  if (pending.length === 0) {
    out(`nothing to review: ${all.length} rubrics, all decided`);
    return;
  }
  const reader = lineReader();
  try {
    for (const [i, generated] of pending.entries()) {
      out(`\n[${i + 1}/${pending.length}] prompt ${generated.promptId}`);
      const r: Reviewing = { dir, current: generated, edited: false, decisions, ask: reader.ask };
      show(r.current);
      for (;;) {
        const answer = await reader.ask('[a]ccept, [e]dit, [r]eject, [q]uit? ');
        const action = answer === undefined ? ACTIONS.q : ACTIONS[answer.toLowerCase().slice(0, 1)];
        if (action === undefined) {
          out('answer a, e, r or q');
          continue;
        }
        const next = await action(r);
        if (next === 'quit') {
          out(`stopped: ${pending.length - i} left to review`);
          return;
        }
        if (next === 'done') break;
      }
    }
    out(`reviewed all ${pending.length}`);
  } finally {
    reader.close();
  }
}

function show(g: GeneratedRubric): void {
  const indent = (text: string) =>
    text
      .split('\n')
      .map((l) => `    ${l}`)
      .join('\n');
  out('  PROMPT');
  for (const m of g.messages) out(`  [${m.role}]\n${indent(m.content)}`);
  const p = g.provenance;
  out(`  RUBRIC ${g.rubric.id}: ${g.rubric.title}`);
  out(`    by ${p.model} on ${p.date}${p.editedAt === undefined ? '' : `, edited ${p.editedAt}`}`);
  for (const c of g.rubric.criteria) {
    const how =
      c.evaluator.type === 'judge'
        ? 'judge'
        : `verifier ${c.evaluator.name} ${JSON.stringify(c.evaluator.params)}`;
    out(`  ${c.id}  weight ${c.weight}  ${how}`);
    out(indent(c.description));
    const tiers = c.tiers?.map(
      (t) => `${t.score} ${t.label}${t.description === '' ? '' : `: ${t.description}`}`,
    ) ?? ['pass/fail'];
    out(`      tiers: ${tiers.join(' | ')}`);
  }
  if (g.removed.length > 0) {
    out(`  removed as near-duplicates: ${g.removed.map((d) => `${d.id} (of ${d.duplicateOf})`).join(', ')}`);
  }
}

/**
 * Opens the rubric as YAML in $VISUAL or $EDITOR (default vi) and reads it back: one rubric that
 * passes the rubric schema and resolution, or the error naming the field.
 */
function editInEditor(rubric: RubricFile): { ok: true; rubric: RubricFile } | { ok: false; error: string } {
  const editor = process.env['VISUAL'] || process.env['EDITOR'] || 'vi';
  const tmp = mkdtempSync(join(tmpdir(), 'anchorage-review-'));
  const file = join(tmp, 'rubric.yaml');
  try {
    writeFileSync(file, stringify(rubric));
    // As git does: the editor command may carry arguments, so the shell runs it with the file appended.
    const run = spawnSync('sh', ['-c', `${editor} "$1"`, 'sh', file], { stdio: 'inherit' });
    if (run.status !== 0) {
      return {
        ok: false,
        error: `the editor (${editor}) exited with ${run.status ?? run.signal}; nothing changed`,
      };
    }
    const text = readFileSync(file, 'utf8');
    let documents: ReturnType<typeof parseRubrics>;
    try {
      documents = parseRubrics({ text, file: 'edited rubric' });
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      return { ok: false, error: err.message };
    }
    if (documents.length !== 1) {
      return { ok: false, error: `expected one rubric document, found ${documents.length}` };
    }
    return validateRubric({ value: documents[0]!.value, verifiers: defaultVerifiers() });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
