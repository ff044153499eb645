import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type ChatServer, startChatServer } from '../../rubric/judge/test-server.ts';

/**
 * The judge of the tiny run's judged criterion (`writeTinyRun({ judgeConfig })`), for the
 * worker-process tests and the chaos benchmark: an OpenAI-compatible chat server in this process
 * (real HTTP) that grades `pass` when the last 200 characters of a request hold a vowel, else
 * `fail`. Its `requests` count every verdict it was asked for.
 */
export function startTinyJudge(): Promise<ChatServer> {
  return startChatServer({
    handler: (request) => {
      const text = request.messages.map((m) => m.content).join('\n');
      return {
        type: 'completion',
        content: JSON.stringify({
          reason: 'read it',
          tier: /[aeiou]/.test(text.slice(-200)) ? 'pass' : 'fail',
        }),
      };
    },
  });
}

/**
 * Writes a judge configuration (JSON) for the judge at `baseUrl`, its verdict cache at `cacheDir`;
 * `settings` adds further fields of the judge config (e.g. `samples`, `temperature`).
 */
export async function writeTinyJudgeConfig(options: {
  file: string;
  baseUrl: string;
  cacheDir: string;
  settings?: Record<string, unknown>;
}): Promise<string> {
  await mkdir(dirname(options.file), { recursive: true });
  await writeFile(
    options.file,
    JSON.stringify({
      baseUrl: options.baseUrl,
      model: 'test-judge',
      cacheDir: options.cacheDir,
      timeoutMs: 5000,
      ...options.settings,
    }),
  );
  return options.file;
}
