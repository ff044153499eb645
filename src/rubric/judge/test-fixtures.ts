import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, afterEach, before } from 'node:test';
import pino, { type Logger } from 'pino';
import type { ResolvedCriterion } from '../resolve.ts';
import type { Tier } from '../schema.ts';
import type { JudgeConfigInput } from './config.ts';
import type { JudgeDeps } from './llm-judge.ts';
import { type ChatServer, type ChatServerOptions, startChatServer } from './test-server.ts';

/** TEST UTILITY, never imported by production code: criteria, configs and a log capture for judge tests. */

export const QUALITY_TIERS: Tier[] = [
  { score: 0, label: 'poor', description: 'misses the point' },
  { score: 1, label: 'fair', description: 'partly right' },
  { score: 2, label: 'good', description: 'fully right' },
];

export function judgeCriterion(
  id: string,
  options: { tiers?: Tier[]; guidance?: string; description?: string } = {},
): ResolvedCriterion {
  const tiers = options.tiers ?? QUALITY_TIERS;
  return {
    id,
    description: options.description ?? `the response handles ${id} well`,
    weight: 1,
    kind: 'score',
    vetoThreshold: undefined,
    tiers,
    topScore: tiers.at(-1)!.score,
    saturation: undefined,
    evaluator: { type: 'judge', guidance: options.guidance },
    fromRubric: 'test/rubric',
  };
}

/** A fresh temporary folder, removed by the returned function. */
export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'anchorage-judge-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Registers the hooks a judge test file needs: a temporary folder for the file (`dir`, removed
 * after it) and `serve`, which starts a chat server that is closed after the test that started it.
 */
export function judgeTestHooks(): {
  readonly dir: string;
  serve(options?: ChatServerOptions): Promise<ChatServer>;
} {
  let tmp: ReturnType<typeof tempDir> | undefined;
  const running: ChatServer[] = [];
  before(() => {
    tmp = tempDir();
  });
  after(() => tmp?.remove());
  afterEach(async () => {
    for (const server of running.splice(0)) await server.close();
  });
  return {
    get dir() {
      if (tmp === undefined) throw new Error('judgeTestHooks: dir is known once the tests run');
      return tmp.dir;
    },
    async serve(options) {
      const server = await startChatServer(options);
      running.push(server);
      return server;
    },
  };
}

/** A config for the test server: fast backoff, short timeout, everything else at defaults. */
export function testConfig(
  options: { baseUrl: string; cacheDir: string } & Partial<JudgeConfigInput>,
): JudgeConfigInput {
  return {
    model: 'test-judge',
    timeoutMs: 5_000,
    maxRetries: 3,
    backoff: { initialMs: 1, maxMs: 5, multiplier: 2, jitter: 0.5, maxRetryAfterMs: 60_000 },
    ...options,
  };
}

/** A pino logger at trace level whose lines are kept in memory. */
export function captureLogs(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(
        ...chunk
          .toString('utf8')
          .split('\n')
          .filter((l) => l !== ''),
      );
      done();
    },
  });
  return { log: pino({ level: 'trace' }, sink), lines };
}

/** Deps that record each backoff sleep instead of waiting it out. */
export function recordingSleep(): { sleeps: number[]; deps: Pick<JudgeDeps, 'sleep'> } {
  const sleeps: number[] = [];
  return { sleeps, deps: { sleep: async (ms: number) => void sleeps.push(ms) } };
}
