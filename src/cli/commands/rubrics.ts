import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Command, Option } from 'commander';
import { listRubricFiles, loadCorpus, type RubricCorpus } from '../../rubric/corpus.ts';
import { importWritingBench } from '../../rubric/importers/writingbench.ts';
import { resolveAll } from '../../rubric/resolve.ts';
import { type CorpusStats, corpusStats } from '../../rubric/stats.ts';
import { defaultVerifiers } from '../../rubric/verifiers/index.ts';
import type { ValidationError } from '../../util/errors.ts';
import type { CliCommand } from '../command.ts';
import { out } from '../io.ts';
import { addRubricsGenerate } from './rubrics-generate.ts';
import { addIfevalImport } from './rubrics-import-ifeval.ts';
import { addRubricsReview } from './rubrics-review.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SCOPES = ['dataset', 'task', 'instance'] as const;
const shown = (p: string) => relative(process.cwd(), p) || '.';

/** Rubric folders: `ANCHORAGE_RUBRICS` (colon-separated) or the project's own `rubrics/`. */
function corpusPaths(): string[] {
  const fromEnv = process.env['ANCHORAGE_RUBRICS']?.split(':').filter((p) => p !== '');
  return fromEnv !== undefined && fromEnv.length > 0 ? fromEnv : [join(ROOT, 'rubrics')];
}

/** `anchorage rubrics validate|list|stats|generate|review|import`: work with the rubric corpus. */
export const rubricsCommand: CliCommand = {
  name: 'rubrics',
  register(program: Command): void {
    const cmd = program.command('rubrics').description('validate, list, count and import rubrics');

    cmd
      .command('validate')
      .description(
        'load and resolve every rubric; one line per error (file:line, field, message); exit 2 on any error',
      )
      .argument('[paths...]', 'rubric files or folders (default: the rubric corpus)')
      .action((paths: string[]) => validate(paths.length > 0 ? paths : corpusPaths()));

    cmd
      .command('list')
      .description('list rubrics: id, scope, criteria written, includes, tags')
      .option('--tag <tag>', 'only rubrics with this tag')
      .addOption(new Option('--scope <scope>', 'only rubrics of this scope').choices(SCOPES))
      .option('--json', 'one JSON array instead of lines', false)
      .action((options: { tag?: string; scope?: string; json: boolean }) => list(options));

    cmd
      .command('stats')
      .description('counts by scope, tag and evaluator; criteria per resolved rubric')
      .option('--json', 'JSON instead of text', false)
      .option('--tags <n>', 'tags shown in text output (all in JSON)', '20')
      .action((options: { json: boolean; tags: string }) => stats(options));

    addRubricsGenerate(cmd);
    addRubricsReview(cmd);

    const imp = cmd.command('import').description('generate rubric files from public benchmarks');
    addIfevalImport(imp);
    imp
      .command('writingbench')
      .description('WritingBench style/format/length queries -> instance rubrics, one YAML file per subset')
      .option(
        '--data <dir>',
        'folder with the WritingBench *.jsonl files',
        join(ROOT, '../shared/data/writingbench'),
      )
      .option('--out <dir>', 'output folder', join(ROOT, 'rubrics/writingbench'))
      .action((options: { data: string; out: string }) => {
        for (const r of importWritingBench({ dataDir: options.data, outDir: options.out })) {
          out(`${r.subset}: ${r.rubrics} rubrics -> ${shown(r.file)} (${(r.bytes / 1e6).toFixed(2)} MB)`);
        }
      });
  },
};

function validate(paths: readonly string[]): void {
  const errors: ValidationError[] = [];
  const onError = (e: ValidationError) => errors.push(e);
  const corpus = loadCorpus(paths, { onError });
  const resolved = resolveAll({ corpus, verifiers: defaultVerifiers(), onError });
  for (const e of errors) out(e.message);
  if (errors.length > 0) {
    out(
      `${errors.length} error${errors.length === 1 ? '' : 's'}; ${resolved.length} of ${corpus.size} loaded rubrics resolve`,
    );
    process.exitCode = 2;
    return;
  }
  const files = paths.flatMap((p) => listRubricFiles([p])).length;
  const criteria = resolved.reduce((n, r) => n + r.criteria.length, 0);
  const scopes = SCOPES.map((s) => `${s} ${resolved.filter((r) => r.scope === s).length}`).join(', ');
  out(`ok: ${resolved.length} rubrics in ${files} files (${scopes}); ${criteria} criteria after includes`);
}

function load(): RubricCorpus {
  return loadCorpus(corpusPaths());
}

function list(options: { tag?: string; scope?: string; json: boolean }): void {
  const rubrics = load()
    .all()
    .filter((r) => options.tag === undefined || r.value.tags.includes(options.tag))
    .filter((r) => options.scope === undefined || r.value.scope === options.scope)
    .sort((a, b) => a.value.id.localeCompare(b.value.id));
  if (options.json) {
    const rows = rubrics.map((r) => ({
      id: r.value.id,
      title: r.value.title,
      scope: r.value.scope,
      tags: r.value.tags,
      include: r.value.include,
      criteria: r.value.criteria.length,
      file: r.file,
      line: r.line,
    }));
    out(JSON.stringify(rows, null, 2));
    return;
  }
  for (const r of rubrics) {
    const v = r.value;
    const include = v.include.length > 0 ? ` +${v.include.join(',')}` : '';
    out(`${v.id}\t${v.scope}\t${v.criteria.length} criteria${include}\t[${v.tags.join(', ')}]`);
  }
  out(`${rubrics.length} rubric${rubrics.length === 1 ? '' : 's'}`);
}

function stats(options: { json: boolean; tags: string }): void {
  const corpus = load();
  const s = corpusStats({
    rubrics: corpus.all(),
    resolved: resolveAll({ corpus, verifiers: defaultVerifiers() }),
  });
  if (options.json) {
    out(JSON.stringify(s, null, 2));
    return;
  }
  for (const line of formatStats(s, Number(options.tags) || 20)) out(line);
}

export function formatStats(s: CorpusStats, maxTags: number): string[] {
  const lines = [
    `rubrics: ${s.rubrics} in ${s.files} files; ${s.verifierOnly} verifier-only (score without a judge)`,
    `by scope: ${Object.entries(s.byScope)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `criteria written: ${s.criteriaWritten} (score ${s.byKind.score}, veto ${s.byKind.veto})`,
    `criteria per rubric after includes: min ${s.criteriaPerRubric.min}, median ${s.criteriaPerRubric.median}, mean ${s.criteriaPerRubric.mean}, max ${s.criteriaPerRubric.max}`,
    `evaluators: judge ${s.evaluators.judge}, verifier ${s.evaluators.verifier}`,
  ];
  for (const f of s.evaluators.families) {
    lines.push(`  ${f.family}: ${f.criteria} (${f.names.map((n) => `${n.name} ${n.criteria}`).join(', ')})`);
  }
  const tags = s.byTag.slice(0, maxTags);
  const more =
    s.byTag.length > tags.length ? `, ... ${s.byTag.length - tags.length} more (--json for all)` : '';
  lines.push(`tags (${s.byTag.length}): ${tags.map((t) => `${t.tag} ${t.rubrics}`).join(', ')}${more}`);
  return lines;
}
