import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import pino from 'pino';
import { LOG_LEVELS, LogSink, lineLevel } from './log-sink.ts';

describe('LogSink', () => {
  const dir = mkdtempSync(join(tmpdir(), 'anchorage-log-sink-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the level pino writes first; a line without one counts as an error', () => {
    assert.equal(lineLevel('{"level":30,"time":1,"msg":"x"}\n'), LOG_LEVELS.info);
    assert.equal(lineLevel('{"level":40,"msg":"x"}\n'), LOG_LEVELS.warn);
    assert.equal(lineLevel('not json\n'), LOG_LEVELS.error);
  });

  it('writes to the terminal, then every line to a file and warnings also to the terminal, then back', () => {
    const terminalFile = join(dir, 'terminal.txt');
    const terminal = openSync(terminalFile, 'w');
    const sink = new LogSink(terminal);
    const log = pino({ base: null }, sink);
    log.info('before');
    const file = sink.toFile({ file: join(dir, 'logs', 'run.log'), terminalLevel: 'warn' });
    assert.equal(sink.file, file);
    log.info({ step: 1 }, 'rollouts committed');
    log.warn('activity retried');
    log.error('step failed');
    sink.restore();
    assert.equal(sink.file, undefined);
    log.info('after');
    closeSync(terminal);

    const messages = (path: string) =>
      readFileSync(path, 'utf8')
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { msg: string }).msg);
    assert.deepEqual(messages(file), ['rollouts committed', 'activity retried', 'step failed']);
    assert.deepEqual(messages(terminalFile), ['before', 'activity retried', 'step failed', 'after']);
  });

  it('appends to a file that exists (a resumed run keeps its earlier lines)', () => {
    const sink = new LogSink(openSync(join(dir, 'null.txt'), 'w'));
    const file = join(dir, 'logs', 'append.log');
    for (const msg of ['first', 'second']) {
      sink.toFile({ file, terminalLevel: 'fatal' });
      pino({ base: null }, sink).info(msg);
      sink.restore();
    }
    assert.equal(readFileSync(file, 'utf8').trim().split('\n').length, 2);
  });
});
