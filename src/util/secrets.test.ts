import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { LogSink } from './log-sink.ts';
import { redactorFor, redactSecrets, registerSecret } from './secrets.ts';

test('registered secrets are cut out of text, also in their JSON-escaped form', () => {
  const secret = 'sk-"quoted"\\key-71c2';
  assert.equal(redactSecrets(`a ${secret} b`), `a ${secret} b`, 'nothing registered yet');
  registerSecret(secret);
  registerSecret('abc'); // too short to register: it would redact ordinary words
  assert.equal(redactSecrets(`a ${secret} b ${secret}`), 'a [redacted] b [redacted]');
  assert.equal(redactSecrets(JSON.stringify({ msg: secret })), '{"msg":"[redacted]"}');
  assert.equal(redactSecrets('abc abc'), 'abc abc');
  assert.equal(redactorFor([undefined, 'tok-1234'])('x tok-1234 y'), 'x [redacted] y');
});

test('every line through the log sink is redacted, whatever field carried the secret', () => {
  const secret = 'sk-sink-5e9d0b3a';
  registerSecret(secret);
  const file = join(mkdtempSync(join(tmpdir(), 'secrets-')), 'terminal.txt');
  const fd = openSync(file, 'w');
  const log = pino({ base: null }, new LogSink(fd));
  log.warn({ reply: `the judge said ${secret}`, nested: { deep: [secret] } }, `message ${secret}`);
  closeSync(fd);
  const text = readFileSync(file, 'utf8');
  assert.equal(text.includes(secret), false, text);
  assert.match(text, /"reply":"the judge said \[redacted\]"/);
});
