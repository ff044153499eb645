/**
 * The names of Anchorage's own Prometheus metrics, declared once: the registry
 * (prometheus-telemetry.ts), the Grafana dashboard (deploy/grafana/anchorage.json, checked by
 * test/docker-compose.test.ts) and the tests use these. Labels: `purpose` (train, eval, select),
 * `phase` (rollout, judge, rewards, update), `kind` (judge errors). The Temporal SDK's own metrics
 * are served beside them under `temporal_`, the process's under `process_` and `nodejs_`.
 */
export const METRIC_NAMES = {
  /** Counter {purpose}: new tokens the policy generated for rollouts. */
  rolloutTokens: 'anchorage_rollout_tokens_total',
  /** Counter {purpose}: prompt tokens computed by prefills (a prompt shared by a group counts once). */
  rolloutPrefillTokens: 'anchorage_rollout_prefill_tokens_total',
  /** Counter {purpose}: seconds spent in prefills. */
  rolloutPrefillSeconds: 'anchorage_rollout_prefill_seconds_total',
  /** Counter {purpose}: seconds spent in decode steps (tokens/s = rate(tokens) / rate(decode seconds)). */
  rolloutDecodeSeconds: 'anchorage_rollout_decode_seconds_total',
  /** Histogram: one LLM judge call (a response against a rubric's judged criteria, verdict cache included). */
  judgeCallSeconds: 'anchorage_judge_call_duration_seconds',
  /** Counter: HTTP requests sent to the judge (retries and repairs included). */
  judgeRequests: 'anchorage_judge_requests_total',
  /** Counter {kind}: failed_call (the call threw), transport_retry, malformed_reply (a repair), unscorable. */
  judgeErrors: 'anchorage_judge_errors_total',
  /** Counter: judged criteria answered by the verdict cache. */
  verdictCacheHits: 'anchorage_verdict_cache_hits_total',
  /** Counter: judged criteria the model had to grade. */
  verdictCacheMisses: 'anchorage_verdict_cache_misses_total',
  /** Histogram {phase, purpose}: a phase's work in this process until its result was committed. */
  phaseSeconds: 'anchorage_phase_duration_seconds',
  /** Histogram {purpose}: a step's wall time as the workflow measured it. */
  stepSeconds: 'anchorage_step_duration_seconds',
  /** Gauge {purpose}: the last step whose metrics were committed. */
  lastStep: 'anchorage_last_step',
  /** Gauge {purpose}: the mean reward of the last step whose rewards were committed. */
  rewardMean: 'anchorage_reward_mean',
  /** Gauge {purpose=train}: KL to the reference policy of the last committed update that measured it. */
  klRef: 'anchorage_kl_ref',
  /** Gauge {purpose=train}: loss of the last committed update that trained. */
  policyLoss: 'anchorage_policy_loss',
  /** Counter: checkpoints committed (one per policy update). */
  checkpointCommits: 'anchorage_checkpoint_commits_total',
} as const;

export type MetricName = (typeof METRIC_NAMES)[keyof typeof METRIC_NAMES];
