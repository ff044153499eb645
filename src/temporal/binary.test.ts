import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { findTemporalBinary, PROJECT_TEMPORAL_BIN } from './binary.ts';

const dir = mkdtempSync(join(tmpdir(), 'anchorage-bin-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const fake = join(dir, 'temporal');
writeFileSync(fake, '#!/bin/sh\n');
chmodSync(fake, 0o755);

test('TEMPORAL_BIN wins and must name an executable', () => {
  assert.equal(findTemporalBinary({ env: { TEMPORAL_BIN: fake } }), fake);
  assert.throws(
    () => findTemporalBinary({ env: { TEMPORAL_BIN: join(dir, 'missing') } }),
    /missing: TEMPORAL_BIN names no executable file/,
  );
});

test('the project install, then PATH; the error says how to install', () => {
  const nowhere = join(dir, 'no-venv', 'temporal');
  assert.equal(
    findTemporalBinary({ env: {} }),
    PROJECT_TEMPORAL_BIN,
    'installed by scripts/setup-temporal.sh',
  );
  assert.equal(findTemporalBinary({ env: { PATH: `/nonexistent:${dir}` }, projectBinary: nowhere }), fake);
  assert.throws(
    () => findTemporalBinary({ env: { PATH: '/nonexistent' }, projectBinary: nowhere }),
    /the Temporal CLI was not found .*; run `bash scripts\/setup-temporal\.sh` to install it/,
  );
});
