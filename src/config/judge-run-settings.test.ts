import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { parseRunConfig } from './load.ts';

const CONFIGS = resolve(import.meta.dirname, '../../configs');
const parse = (text: string) =>
  parseRunConfig({ text, file: join(CONFIGS, 'test.yaml'), env: { ANCHORAGE_DATA_DIR: '/data/anchorage' } });
const fails = (text: string, pattern: RegExp) => assert.throws(() => parse(text), pattern);

describe('run configuration: judge.runBudget and judge.rateLimit', () => {
  it('are read with the judge config, whose path still resolves against the file', () => {
    const { config } = parse(
      'judge:\n  config: judge-local.yaml\n  runBudget: { requests: 500, tokens: 200000 }\n  rateLimit: { requestsPerSecond: 2.5 }\n',
    );
    assert.equal(config.judge?.config, join(CONFIGS, 'judge-local.yaml'));
    assert.deepEqual(config.judge?.runBudget, { requests: 500, tokens: 200_000 });
    assert.deepEqual(config.judge?.rateLimit, { requestsPerSecond: 2.5 });
    assert.equal(parse('judge:\n  config: judge-local.yaml\n').config.judge?.runBudget, undefined);
  });

  it('bad values are refused naming the line and field', () => {
    fails(
      'judge:\n  config: j.yaml\n  runBudget: {}\n',
      /test\.yaml:3, field judge\.runBudget: .*requests, tokens or both/,
    );
    fails(
      'judge:\n  config: j.yaml\n  runBudget:\n    requests: 0\n',
      /test\.yaml:4, field judge\.runBudget\.requests: .*a whole number >= 1/,
    );
    fails('judge:\n  config: j.yaml\n  runBudget:\n    requests: 2.5\n', /field judge\.runBudget\.requests/);
    fails(
      'judge:\n  config: j.yaml\n  runBudget:\n    calls: 10\n',
      /field judge\.runBudget\.calls: unknown key 'calls'; expected one of: requests, tokens/,
    );
    fails(
      'judge:\n  config: j.yaml\n  rateLimit:\n    requestsPerSecond: 0\n',
      /test\.yaml:4, field judge\.rateLimit\.requestsPerSecond: .*a rate above 0/,
    );
  });
});
