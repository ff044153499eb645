import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ValidationError } from '../../util/errors.ts';
import { loadJudgeConfig, parseJudgeConfig } from './config.ts';
import { tempDir } from './test-fixtures.ts';

let tmp: ReturnType<typeof tempDir>;
before(() => {
  tmp = tempDir();
});
after(() => tmp.remove());

function write(name: string, text: string): string {
  const path = join(tmp.dir, name);
  writeFileSync(path, text);
  return path;
}

function validationError(pattern: RegExp) {
  return (e: unknown) => e instanceof ValidationError && pattern.test(e.message);
}

describe('loadJudgeConfig', () => {
  test('reads YAML, fills defaults and resolves cacheDir against the file', () => {
    const path = write(
      'judge.yaml',
      [
        'baseUrl: http://127.0.0.1:8000/v1',
        'model: qwen3-8b',
        'apiKeyEnv: VLLM_API_KEY',
        'cacheDir: cache/judge',
        '',
      ].join('\n'),
    );
    const config = loadJudgeConfig(path, { env: {} });
    assert.equal(config.baseUrl, 'http://127.0.0.1:8000/v1');
    assert.equal(config.model, 'qwen3-8b');
    assert.equal(config.apiKeyEnv, 'VLLM_API_KEY');
    assert.equal(config.cacheDir, join(tmp.dir, 'cache/judge'));
    assert.equal(config.mode, 'per-criterion');
    assert.equal(config.temperature, 0);
    assert.equal(config.responseFormat, 'off');
    assert.equal(config.maxTokens, undefined);
    assert.deepEqual(config.backoff, {
      initialMs: 500,
      multiplier: 2,
      maxMs: 30_000,
      jitter: 0.5,
      maxRetryAfterMs: 60_000,
    });
  });

  test('reads JSON too', () => {
    const path = write(
      'judge.json',
      JSON.stringify({
        baseUrl: 'https://api.openai.com/v1',
        model: 'gpt-4o-mini',
        mode: 'rubric',
        cacheDir: '/var/cache/j',
      }),
    );
    const config = loadJudgeConfig(path, { env: {} });
    assert.equal(config.mode, 'rubric');
    assert.equal(config.cacheDir, '/var/cache/j');
  });

  test('a bad field is named with its file and line', () => {
    const path = write(
      'bad.yaml',
      [
        'baseUrl: http://127.0.0.1:8000/v1',
        'model: m',
        'cacheDir: c',
        'backoff:',
        '  initialMs: 10',
        '  jitter: 3',
        '',
      ].join('\n'),
    );
    assert.throws(
      () => loadJudgeConfig(path, { env: {} }),
      validationError(/bad\.yaml:6, field backoff\.jitter: expected/),
    );
  });

  test('unknown keys, a missing model, a key in the URL or in the headers are refused', () => {
    const base = 'baseUrl: http://127.0.0.1:8000/v1\ncacheDir: c\n';
    assert.throws(
      () => parseJudgeConfig({ text: `${base}model: m\napiKey: sk-123\n`, file: 'k.yaml' }),
      validationError(/k\.yaml:\d+, field .*unknown key.*apiKey/),
    );
    assert.throws(
      () => parseJudgeConfig({ text: base, file: 'm.yaml' }),
      validationError(/m\.yaml:1, field model/),
    );
    assert.throws(
      () =>
        parseJudgeConfig({
          text: 'baseUrl: http://u:secret@host/v1\nmodel: m\ncacheDir: c\n',
          file: 'u.yaml',
        }),
      validationError(/u\.yaml:1, field baseUrl: expected a URL without user:password/),
    );
    assert.throws(
      () =>
        parseJudgeConfig({
          text: `${base}model: m\nextraHeaders:\n  Authorization: Bearer x\n`,
          file: 'h.yaml',
        }),
      validationError(/h\.yaml:\d+, field extraHeaders: expected headers without a credential/),
    );
    assert.throws(
      () => parseJudgeConfig({ text: `${base}model: m\nmode: holistic\n`, file: 'mode.yaml' }),
      validationError(/mode\.yaml:4, field mode: expected one of "per-criterion"\|"rubric"/),
    );
  });

  test('responseFormat json_schema with reasonMaxChars; reasonMaxChars with another format is named', () => {
    const base = 'baseUrl: http://127.0.0.1:8000/v1\nmodel: m\ncacheDir: c\n';
    const config = parseJudgeConfig({
      text: `${base}responseFormat: json_schema\nreasonMaxChars: 400\n`,
      file: 's.yaml',
      env: {},
    });
    assert.equal(config.responseFormat, 'json_schema');
    assert.equal(config.reasonMaxChars, 400);
    assert.equal(parseJudgeConfig({ text: base, file: 'd.yaml', env: {} }).reasonMaxChars, undefined);
    assert.throws(
      () =>
        parseJudgeConfig({
          text: `${base}responseFormat: json_object\nreasonMaxChars: 400\n`,
          file: 'o.yaml',
          env: {},
        }),
      validationError(
        /o\.yaml:\d+, field reasonMaxChars: expected reasonMaxChars only with responseFormat json_schema or json_object_schema/,
      ),
    );
    assert.throws(
      () =>
        parseJudgeConfig({
          text: `${base}responseFormat: json_schema\nreasonMaxChars: 5\n`,
          file: 'n.yaml',
          env: {},
        }),
      validationError(/n\.yaml:5, field reasonMaxChars: expected/),
    );
    assert.throws(
      () => parseJudgeConfig({ text: `${base}responseFormat: grammar\n`, file: 'g.yaml', env: {} }),
      validationError(
        /g\.yaml:4, field responseFormat: expected one of "json_schema"\|"json_object_schema"\|"json_object"\|"off"/,
      ),
    );
  });

  test('samples: default 1; k > 1 with temperature > 0; 0, a fraction, or k > 1 at temperature 0 are named', () => {
    const base = 'baseUrl: http://127.0.0.1:8000/v1\nmodel: m\ncacheDir: c\n';
    assert.equal(parseJudgeConfig({ text: base, file: 'd.yaml', env: {} }).samples, 1);
    const config = parseJudgeConfig({
      text: `${base}samples: 3\ntemperature: 0.7\n`,
      file: 's.yaml',
      env: {},
    });
    assert.equal(config.samples, 3);
    assert.throws(
      () => parseJudgeConfig({ text: `${base}samples: 0\n`, file: 'z.yaml', env: {} }),
      validationError(
        /z\.yaml:4, field samples: expected a whole number of samples \(judge answers per criterion\), at least 1/,
      ),
    );
    assert.throws(
      () => parseJudgeConfig({ text: `${base}samples: 2.5\ntemperature: 1\n`, file: 'f.yaml', env: {} }),
      validationError(/f\.yaml:4, field samples: expected a whole number of samples/),
    );
    assert.throws(
      () => parseJudgeConfig({ text: `${base}samples: three\n`, file: 't.yaml', env: {} }),
      validationError(/t\.yaml:4, field samples: expected a whole number of samples/),
    );
    assert.throws(
      () => parseJudgeConfig({ text: `${base}samples: 2\n`, file: 'zero.yaml', env: {} }),
      validationError(/zero\.yaml:\d+, field samples: expected samples > 1 only with temperature > 0/),
    );
    assert.throws(
      () => parseJudgeConfig({ text: `${base}samples: 2\ntemperature: 0\n`, file: 'zero.yaml', env: {} }),
      validationError(/field samples: expected samples > 1 only with temperature > 0/),
    );
  });

  test('an empty file, several documents and an unreadable file name the file', () => {
    assert.throws(
      () => parseJudgeConfig({ text: '', file: 'e.yaml' }),
      validationError(/^e\.yaml: expected a judge config/),
    );
    const two = 'baseUrl: http://h/v1\nmodel: m\ncacheDir: c\n---\nmodel: n\n';
    assert.throws(
      () => parseJudgeConfig({ text: two, file: 't.yaml', env: {} }),
      validationError(/^t\.yaml:5: expected one document/),
    );
    assert.throws(
      () => loadJudgeConfig(join(tmp.dir, 'missing.yaml')),
      validationError(/missing\.yaml: cannot read judge config/),
    );
  });

  test('ANCHORAGE_JUDGE_BASE_URL and ANCHORAGE_JUDGE_MODEL override the file, and are validated', () => {
    const text = 'baseUrl: http://127.0.0.1:8000/v1\nmodel: small\ncacheDir: c\n';
    const env = {
      ANCHORAGE_JUDGE_BASE_URL: 'http://10.0.0.5:11434/v1',
      ANCHORAGE_JUDGE_MODEL: 'llama3.1:8b',
    };
    const config = parseJudgeConfig({ text, file: 'o.yaml', env });
    assert.equal(config.baseUrl, 'http://10.0.0.5:11434/v1');
    assert.equal(config.model, 'llama3.1:8b');
    assert.throws(
      () => parseJudgeConfig({ text, file: 'o.yaml', env: { ANCHORAGE_JUDGE_BASE_URL: 'not a url' } }),
      validationError(
        /environment variable ANCHORAGE_JUDGE_BASE_URL \(overrides baseUrl\): expected an http\(s\) URL/,
      ),
    );
  });
});
