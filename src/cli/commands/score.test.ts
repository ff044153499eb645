import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startChatServer } from '../../rubric/judge/test-server.ts';
import { REPO_ROOT } from '../testing/cli-runner.ts';

/** `anchorage <args>` in a child process, asynchronously (a test's own HTTP server keeps serving). */
function anchorage(
  cwd: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(REPO_ROOT, 'bin/anchorage.mjs'), ...args],
      { cwd, env: { ...process.env, ...env }, maxBuffer: 1 << 24 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const line = (rubric: string, response = 'A plain answer.') =>
  JSON.stringify({ rubric, prompt: 'Say something.', response });

test('score --input: an empty file is an error naming it, not a silent success', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'score-empty-'));
  writeFileSync(join(dir, 'in.jsonl'), '\n  \n');
  const r = await anchorage(dir, ['score', '--input', 'in.jsonl']);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stdout, '');
  assert.equal(
    r.stderr,
    'anchorage: in.jsonl: expected at least one JSON line with rubric, prompt and response; the file has none\n',
  );
});

test('score --input: an unknown rubric on line 3 is named with its line before anything is printed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'score-unknown-'));
  const text = [line('defence/reward-hacking'), line('defence/reward-hacking'), line('no/such-rubric')].join(
    '\n',
  );
  writeFileSync(join(dir, 'in.jsonl'), `${text}\n`);
  const r = await anchorage(dir, ['score', '--input', 'in.jsonl', '--json']);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stdout, '', 'nothing printed before every line was checked');
  assert.match(
    r.stderr,
    /^anchorage: in\.jsonl:3, field rubric: rubric 'no\/such-rubric': unknown rubric 'no\/such-rubric'/,
  );
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});

test('score --input: invalid UTF-8 is named with its line and column', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'score-utf8-'));
  writeFileSync(
    join(dir, 'in.jsonl'),
    Buffer.concat([
      Buffer.from(`${line('defence/reward-hacking')}\n{"rubric":"x","prompt":"caf`),
      Buffer.from([0xe9, 0x22, 0x7d, 0x0a]),
    ]),
  );
  const r = await anchorage(dir, ['score', '--input', 'in.jsonl']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^anchorage: in\.jsonl:2:28: expected UTF-8 text in this file; byte 0xe9/);
});

test('score with a failing judge reports the rule-graded criteria, the judged ones unscorable, and exits 1', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'score-judge-down-'));
  const server = await startChatServer({
    handler: () => ({ type: 'error', status: 503, body: '{"error":"overloaded"}' }),
  });
  try {
    writeFileSync(
      join(dir, 'mixed.yaml'),
      [
        'id: mixed',
        'version: 1',
        'title: Mixed',
        'scope: task',
        'criteria:',
        '  - { id: no-praise, description: d, weight: 1, passFail: true, evaluator: { type: verifier, name: defence.question-praise } }',
        '  - { id: helpful, description: the answer helps, weight: 1, passFail: true, evaluator: { type: judge } }',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'judge.yaml'),
      `baseUrl: ${server.baseUrl}\nmodel: test-judge\nmaxRetries: 0\ncacheDir: cache\n`,
    );
    writeFileSync(
      join(dir, 'in.jsonl'),
      `${line('mixed.yaml', 'Great question! Yes.')}\n${line('mixed.yaml')}\n`,
    );
    const r = await anchorage(dir, ['score', '--input', 'in.jsonl', '--judge', 'judge.yaml', '--json'], {
      ANCHORAGE_LOG_LEVEL: 'fatal',
    });
    assert.equal(r.code, 1, r.stderr);
    const rows = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { verdicts: { criterionId: string; status: string; reason: string }[] });
    assert.equal(rows.length, 2, 'every response is reported');
    const [first, second] = rows;
    assert.equal(first!.verdicts[0]!.status, 'scored', 'the rule-graded criterion is kept');
    assert.match(first!.verdicts[0]!.reason, /Great question!/);
    assert.equal(first!.verdicts[1]!.status, 'unscorable');
    assert.match(
      first!.verdicts[1]!.reason,
      /^judge unavailable: judge request to .* failed after 1 attempts: HTTP 503/,
    );
    assert.match(second!.verdicts[1]!.reason, /^judge unavailable \(an earlier request failed\)/);
    assert.equal(server.requests.length, 1, 'a dead judge costs one round of retries, not one per response');
    assert.match(
      r.stderr,
      /the judge could not be reached for 2 of 2 responses; their judged criteria are reported unscorable/,
    );
  } finally {
    await server.close();
  }
});
