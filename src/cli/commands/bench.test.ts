import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { benchSubcommands } from './bench.ts';

const repoRoot = resolve(import.meta.dirname, '../../..');

describe('anchorage bench', () => {
  it('lists its benchmarks in benchSubcommands', () => {
    assert.ok(benchSubcommands.some((s) => s.name === 'verifiers'));
  });

  it('bench verifiers --repeat 1 --json prints one JSON object with the figures (speed not checked)', () => {
    const r = spawnSync(
      process.execPath,
      [join(repoRoot, 'bin/anchorage.mjs'), 'bench', 'verifiers', '--repeat', '1', '--json'],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    const result = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.equal(result.bench, 'verifiers');
    assert.equal(result.family, 'ifeval');
    assert.equal(result.responses, 541);
    assert.equal(result.instructions, 834);
    assert.equal(result.repeat, 1);
    assert.deepEqual(result.modes, ['strict', 'loose']);
    for (const key of [
      'coldPassMs',
      'timedMs',
      'cpuMs',
      'responsesPerSecond',
      'responsesPerCpuSecond',
      'checksPerSecond',
    ]) {
      assert.ok(typeof result[key] === 'number' && (result[key] as number) > 0, key);
    }
    // The verdicts do not depend on timing: 699 strict and 715 loose passes of 834 checks each.
    assert.equal(result.passRate, (699 + 715) / (2 * 834));
    assert.equal(Object.keys(result.msPerPassByInstruction as object).length, 25);
  });

  it('rejects a bad --repeat', () => {
    const r = spawnSync(
      process.execPath,
      [join(repoRoot, 'bin/anchorage.mjs'), 'bench', 'verifiers', '--repeat', '0'],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--repeat: expected an integer >= 1, got '0'/);
  });
});
