import { ValidationError } from '../../util/errors.ts';
import { registerSecret } from '../../util/secrets.ts';
import type { JudgeConfig } from './config.ts';
import type { JudgeStats } from './types.ts';

/**
 * The API key a judge config names (`apiKeyEnv`), read from the environment, or undefined when it
 * names none. From then on the key is cut out of every log line and CLI output of this process.
 */
export function judgeApiKey(config: JudgeConfig, env: NodeJS.ProcessEnv): string | undefined {
  if (config.apiKeyEnv === undefined) return undefined;
  const apiKey = env[config.apiKeyEnv];
  if (apiKey === undefined || apiKey === '') {
    throw new ValidationError(`environment variable ${config.apiKeyEnv} (named by apiKeyEnv) is not set`, {
      location: { field: 'apiKeyEnv' },
    });
  }
  registerSecret(apiKey);
  return apiKey;
}

/** Counters of a judge client before its first request. */
export function emptyJudgeStats(): JudgeStats {
  return {
    requests: 0,
    retries: 0,
    repairs: 0,
    cacheHits: 0,
    cacheMisses: 0,
    unscorable: 0,
    budgetRefusals: 0,
    promptTokens: 0,
    completionTokens: 0,
    repliesWithUsage: 0,
  };
}
