// The production build: `npm run build` (or `node --import tsx scripts/build.ts [--out <dir>]`).
//
// Writes <out> (default dist/) so that built workers and the CLI run as plain JavaScript:
//   1. tsc -p tsconfig.build.json: src/, workflows/, activities/, workers/ to <out>/ with the same
//      layout, `.ts` import specifiers rewritten to `.js`;
//   2. the data files that sit beside the sources (gzip, TSV) copied; a `.mjs` thread entry that loads
//      its `.ts` sibling through tsx is replaced by one that imports the compiled `.js`;
//   3. links in <out>/ to the repository folders the code reaches by relative path (rubrics/, data/,
//      configs/, .cache/ for the default model, .tools/ for the Temporal CLI): <out>/ stands where the
//      repository root stands for the sources, one level above src/; and to node_modules/, so that a
//      build outside the repository (a test's temporary folder) resolves its packages too;
//   4. <out>/workflow-bundle.js: the workflow bundle, for ANCHORAGE_WORKFLOW_BUNDLE.
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SOURCE_FOLDERS = ['src', 'workflows', 'activities', 'workers'];
const DATA_EXTENSIONS = ['.gz', '.tsv'];
const LINKED_FOLDERS = ['rubrics', 'data', 'configs', '.cache', '.tools', 'node_modules'];
/** Written into <out>/; a non-empty folder without it is not ours to delete. */
const MARKER = '.anchorage-build';
export const WORKFLOW_BUNDLE_FILE = 'workflow-bundle.js';

/** Empties `out` when it is absent, empty or an earlier build's; refuses any other folder. */
function prepare(out: string): void {
  if (existsSync(out) && readdirSync(out).length > 0) {
    if (!existsSync(join(out, MARKER))) {
      throw new Error(`build: ${out} is not empty and holds no ${MARKER} file; not deleting it`);
    }
    rmSync(out, { recursive: true, force: true });
  }
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, MARKER), 'written by scripts/build.ts; deleted by the next build\n');
  // The compiled modules are ES modules wherever <out> lies, as the sources are.
  writeFileSync(join(out, 'package.json'), `${JSON.stringify({ type: 'module', private: true })}\n`);
}

function compile(out: string): void {
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(
    process.execPath,
    [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', out],
    {
      cwd: ROOT,
      stdio: 'inherit',
    },
  );
  if (result.status !== 0) throw new Error(`build: tsc exited with ${result.status ?? result.signal}`);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (!entry.isDirectory()) return [path];
    return entry.name === 'fixtures' || entry.name === 'node_modules' ? [] : filesUnder(path);
  });
}

function copyAssets(out: string): void {
  for (const file of SOURCE_FOLDERS.flatMap((folder) => filesUnder(join(ROOT, folder)))) {
    const target = join(out, relative(ROOT, file));
    if (DATA_EXTENSIONS.some((ext) => file.endsWith(ext))) {
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(file, target);
    } else if (file.endsWith('.mjs') && existsSync(file.replace(/\.mjs$/, '.ts'))) {
      const compiled = `./${basename(file, '.mjs')}.js`;
      writeFileSync(
        target,
        `// Built entry: the compiled module, without tsx.\nawait import('${compiled}');\n`,
      );
    }
  }
}

function linkRepositoryFolders(out: string): void {
  for (const name of LINKED_FOLDERS) {
    symlinkSync(relative(out, join(ROOT, name)), join(out, name), 'dir');
  }
}

async function bundleWorkflows(out: string): Promise<void> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: join(out, 'workflows', 'index.js'),
    logger: new DefaultLogger('WARN'),
  });
  writeFileSync(join(out, WORKFLOW_BUNDLE_FILE), code);
}

/** Builds into `out` (default dist/ in the repository). */
export async function build(options: { out?: string | undefined } = {}): Promise<string> {
  const out = resolve(options.out ?? join(ROOT, 'dist'));
  prepare(out);
  compile(out);
  copyAssets(out);
  linkRepositoryFolders(out);
  await bundleWorkflows(out);
  return out;
}

function outArgument(argv: readonly string[]): string | undefined {
  const at = argv.indexOf('--out');
  if (at === -1) return undefined;
  const value = argv[at + 1];
  if (value === undefined) throw new Error('build: --out needs a folder');
  return value;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = await build({ out: outArgument(process.argv.slice(2)) });
  process.stdout.write(`built ${relative(process.cwd(), out) || '.'}\n`);
}
