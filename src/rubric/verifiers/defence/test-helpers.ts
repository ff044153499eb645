import assert from 'node:assert/strict';
import type { Verifier } from '../types.ts';

/** Runs a defence rule and asserts pass/fail; on failure, that the reason quotes `quote`. */
export function expectVerdict(options: {
  verifier: Verifier<unknown>;
  response: string;
  prompt?: string;
  fails: boolean;
  quote?: string;
  params?: Record<string, unknown>;
}): void {
  const { verifier, response, fails } = options;
  const r = verifier.verify({
    prompt: options.prompt ?? 'Explain how tides work.',
    response,
    params: verifier.params.parse(options.params ?? {}),
  });
  assert.ok('score' in r, `scored: ${r.reason}`);
  assert.equal(
    r.score,
    fails ? 0 : 1,
    `${fails ? 'should fail' : 'should pass'}: ${JSON.stringify(response.slice(0, 80))} -> ${r.reason}`,
  );
  if (options.quote !== undefined)
    assert.ok(r.reason.includes(options.quote), `reason quotes ${options.quote}: ${r.reason}`);
}
