import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Command } from 'commander';
import { addIfevalImport } from './rubrics-import-ifeval.ts';

const work = mkdtempSync(join(tmpdir(), 'anchorage-ifeval-import-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));

test('the IFEval importer is registered by addIfevalImport as `rubrics import ifeval`', async () => {
  const input = join(work, 'one.jsonl');
  writeFileSync(
    input,
    `${JSON.stringify({ key: 1, prompt: 'No commas.', instruction_id_list: ['punctuation:no_comma'], kwargs: [{}] })}\n`,
  );
  const output = join(work, 'cli/instances.yaml');
  const program = new Command('anchorage').exitOverride();
  addIfevalImport(program.command('rubrics').command('import'));
  const write = process.stdout.write;
  process.stdout.write = () => true; // the command reports on stdout
  try {
    await program.parseAsync(['rubrics', 'import', 'ifeval', '--input', input, '--out', output], {
      from: 'user',
    });
  } finally {
    process.stdout.write = write;
  }
  assert.match(readFileSync(output, 'utf8'), /^id: ifeval\/1$/m);
});
