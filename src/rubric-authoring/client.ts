import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import { ValidationError } from '../util/errors.ts';
import { registerSecret } from '../util/secrets.ts';
import { ChatClient } from '../rubric/judge/chat-client.ts';
import type { JudgeConfig } from '../rubric/judge/config.ts';
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
  let apiKey: string | undefined;
  if (config.apiKeyEnv !== undefined) {
    apiKey = options.env[config.apiKeyEnv];
    if (apiKey === undefined || apiKey === '') {
      throw new ValidationError(`environment variable ${config.apiKeyEnv} (named by apiKeyEnv) is not set`, {
        location: { field: 'apiKeyEnv' },
      });
    }
    registerSecret(apiKey);
  }
  const stats: JudgeStats = {
    requests: 0,
    retries: 0,
    repairs: 0,
    cacheHits: 0,
    cacheMisses: 0,
    unscorable: 0,
    promptTokens: 0,
    completionTokens: 0,
    repliesWithUsage: 0,
  };
  const client = new ChatClient({
    config,
    apiKey,
    stats,
    deps: {
      fetch: options.fetch ?? globalThis.fetch,
      sleep: (ms) => delay(ms),
      random: Math.random,
      now: Date.now,
      log: options.log,
    },
  });
  return { client, stats };
}
