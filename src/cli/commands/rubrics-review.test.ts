import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileStem } from '../../rubric-authoring/generated-file.ts';
import { type ChatServer, startChatServer } from '../../rubric/judge/test-server.ts';
import { REPO_ROOT } from '../testing/cli-runner.ts';

// `anchorage rubrics generate` and `anchorage rubrics review` as a person uses them: the commands run
// as child processes (asynchronously: the scripted chat server answers from this process), the
// review driven through stdin, with $EDITOR a small script that edits the rubric file.

function anchorage(args: string[], options: { env?: Record<string, string>; input?: string } = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/anchorage.mjs'), ...args], {
      env: { ...process.env, ...options.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

// First edit: a weight of 0 (the rubric schema refuses it); second: a new title.
const EDITOR_SCRIPT = `import { existsSync, readFileSync, writeFileSync } from 'node:fs';
const file = process.argv[2];
const state = process.env.EDIT_STATE;
const n = existsSync(state) ? Number(readFileSync(state, 'utf8')) : 0;
writeFileSync(state, String(n + 1));
let text = readFileSync(file, 'utf8');
text = n === 0 ? text.replace(/weight: 1\\b/, 'weight: 0') : text.replace(/^title: .*$/m, 'title: Edited by a person');
writeFileSync(file, text);
`;

describe('rubrics generate and review from the command line', () => {
  let server: ChatServer;
  const dir = mkdtempSync(join(tmpdir(), 'rubrics-review-'));
  const out = join(dir, 'out');
  before(async () => {
    const content = (what: string) =>
      JSON.stringify({
        title: `About ${what}`,
        criteria: [
          {
            description: `Talks about ${what}.`,
            importance: 'essential',
            tiers: [
              { label: 'no', description: '' },
              { label: 'yes', description: '' },
            ],
            evaluator: 'judge',
            params: '{}',
          },
          {
            description: 'Has no commas.',
            importance: 'optional',
            tiers: [
              { label: 'fail', description: '' },
              { label: 'pass', description: '' },
            ],
            evaluator: 'ifeval.punctuation:no_comma',
            params: '{}',
          },
        ],
      });
    server = await startChatServer({
      handler: (req) => ({
        type: 'completion',
        content: content(req.messages.at(-1)!.content.includes('cats') ? 'cats' : 'dogs'),
      }),
    });
    writeFileSync(
      join(dir, 'prompts.jsonl'),
      `${JSON.stringify({ id: 'a', prompt: 'Write about cats.' })}\n${JSON.stringify({ id: 'b', prompt: 'Write about dogs.' })}\n`,
    );
    writeFileSync(
      join(dir, 'judge.yaml'),
      `baseUrl: ${server.baseUrl}\nmodel: scripted\ncacheDir: cache\nmaxRetries: 0\n`,
    );
    writeFileSync(join(dir, 'editor.mjs'), EDITOR_SCRIPT);
  });
  after(async () => server.close());

  it('generates, then reviews: an invalid edit is refused naming the field, a valid one is kept', async () => {
    const gen = await anchorage([
      'rubrics',
      'generate',
      '--prompts',
      join(dir, 'prompts.jsonl'),
      '--judge',
      join(dir, 'judge.yaml'),
      '--out',
      out,
    ]);
    assert.equal(gen.code, 0, gen.stderr);
    assert.match(gen.stdout, /^2 generated, 0 skipped \(done before\), 0 rejected, 0 failed; 2 requests/m);

    const env = { EDITOR: `${process.execPath} ${join(dir, 'editor.mjs')}`, EDIT_STATE: join(dir, 'edits') };
    const first = await anchorage(['rubrics', 'review', out], { env, input: 'e\ne\na\nq\n' });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /\[user\]\n {4}Write about cats\./, 'the prompt is shown');
    assert.match(first.stdout, /RUBRIC generated\/a-[0-9a-f]{8}: About cats/);
    assert.match(first.stdout, /refused: edited rubric:\d+, field criteria\[0\]\.weight: /);
    assert.match(first.stdout, /RUBRIC generated\/a-[0-9a-f]{8}: Edited by a person/);
    assert.match(first.stdout, /accepted a\n/);
    assert.match(first.stdout, /stopped: 1 left to review/);

    const decisions = JSON.parse(readFileSync(join(out, 'review.json'), 'utf8'));
    assert.deepEqual(Object.keys(decisions.decisions), ['a']);
    assert.equal(decisions.decisions.a.decision, 'accepted');
    assert.equal(decisions.decisions.a.edited, true);
    const accepted = readFileSync(join(out, 'accepted', `${fileStem('a')}.yaml`), 'utf8');
    assert.match(accepted, /^title: Edited by a person$/m);
    const stored = JSON.parse(readFileSync(join(out, `${fileStem('a')}.rubric.json`), 'utf8'));
    assert.equal(stored.rubric.title, 'Edited by a person');
    assert.equal(typeof stored.provenance.editedAt, 'string');

    // Resumed: only b is left; rejected with a reason.
    const second = await anchorage(['rubrics', 'review', out], { env, input: 'r\ntoo generic\n' });
    assert.equal(second.code, 0, second.stderr);
    assert.doesNotMatch(second.stdout, /Write about cats/);
    assert.match(second.stdout, /rejected b\n/);
    const after = JSON.parse(readFileSync(join(out, 'review.json'), 'utf8'));
    assert.equal(after.decisions.b.decision, 'rejected');
    assert.equal(after.decisions.b.reason, 'too generic');
    assert.equal(existsSync(join(out, 'accepted', `${fileStem('b')}.yaml`)), false);

    const report = await anchorage(['rubrics', 'review', out, '--report']);
    assert.equal(report.code, 0, report.stderr);
    assert.equal(
      report.stdout,
      [
        'rubrics: 2 (accepted 1, rejected 1, pending 0; edited 1)',
        'rejected at generation: 0',
        'criteria per rubric: min 2, median 2, mean 2, max 2',
        'criteria: 4 (verifier 2, 50.0%; judge 2, 50.0%)',
        'near-duplicate criteria removed: 0',
        '',
      ].join('\n'),
    );

    // Generation again: both prompts have files, nothing is asked.
    const requests = server.requests.length;
    const again = await anchorage([
      'rubrics',
      'generate',
      '--prompts',
      join(dir, 'prompts.jsonl'),
      '--judge',
      join(dir, 'judge.yaml'),
      '--out',
      out,
    ]);
    assert.match(again.stdout, /^0 generated, 2 skipped/m);
    assert.equal(server.requests.length, requests);
  });

  it("stops at the judge config's requestBudget, says what was not asked; a rerun with more asks only that", async () => {
    const budgetOut = join(dir, 'budget-out');
    const generate = (requestBudget: number) => {
      const judge = join(dir, `judge-${requestBudget}.yaml`);
      writeFileSync(
        judge,
        `baseUrl: ${server.baseUrl}\nmodel: scripted\ncacheDir: cache\nmaxRetries: 0\nrequestBudget: ${requestBudget}\n`,
      );
      const prompts = join(dir, 'prompts.jsonl');
      return anchorage(['rubrics', 'generate', '--prompts', prompts, '--judge', judge, '--out', budgetOut]);
    };
    const before = server.requests.length;
    const spent = await generate(1);
    assert.equal(spent.code, 0, spent.stderr);
    assert.equal(server.requests.length - before, 1);
    assert.match(spent.stdout, /^1 generated, 0 skipped \(done before\), 0 rejected, 0 failed; 1 requests/m);
    assert.match(
      spent.stdout,
      /^judge budget spent \(1 of 1 requests\): 1 prompt not asked; rerun with a larger requestBudget or tokenBudget in the judge config to continue where it stopped$/m,
    );
    assert.equal(existsSync(join(budgetOut, 'rejects.jsonl')), false);
    const more = await generate(10);
    assert.match(more.stdout, /^1 generated, 1 skipped/m);
    assert.doesNotMatch(more.stdout, /budget spent/);
    assert.equal(server.requests.length - before, 2, 'the rerun asked only the prompt not asked');
  });
});
