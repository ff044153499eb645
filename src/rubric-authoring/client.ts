import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import { ChatClient } from '../rubric/judge/chat-client.ts';
import type { JudgeConfig } from '../rubric/judge/config.ts';
import { emptyJudgeStats, judgeApiKey } from '../rubric/judge/judge-credentials.ts';
import { judgeFetch } from '../rubric/judge/judge-fetch.ts';
import type { JudgeStats } from '../rubric/judge/types.ts';

/**
 * The judge's HTTP client (retries, backoff, budget, key handling: src/rubric/judge/chat-client.ts)
 * for the rubric generator, from a judge config. The key comes from the variable `apiKeyEnv` names.
 */
export function generatorClient(options: {
  config: JudgeConfig;
  env: NodeJS.ProcessEnv;
  log: Logger;
  fetch?: typeof fetch;
}): { client: ChatClient; stats: JudgeStats } {
  const { config } = options;
  const apiKey = judgeApiKey(config, options.env);
  const stats = emptyJudgeStats();

  const client = new ChatClient({
    config,
    apiKey,
    stats,
    deps: {
      fetch: options.fetch ?? judgeFetch,
      sleep: (ms) => delay(ms),
      random: Math.random,
      now: Date.now,
      log: options.log,
    },
  });
  return { client, stats };
}
