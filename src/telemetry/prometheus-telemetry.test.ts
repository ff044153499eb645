import assert from 'node:assert/strict';
import { test } from 'node:test';
import { METRIC_NAMES } from './metric-names.ts';
import { createPrometheusTelemetry } from './prometheus-telemetry.ts';
import { parseExposition } from './testing/parse-exposition.ts';

test('every metric name is declared in the registry from the start; counters begin at 0, gauges absent', async () => {
  const { registry } = createPrometheusTelemetry();
  const scrape = parseExposition(await registry.metrics());
  for (const name of Object.values(METRIC_NAMES)) {
    const family = name.replace(/_total$/, '');
    assert.ok(scrape.types.has(name) || scrape.types.has(family), `${name} is declared`);
  }
  assert.equal(scrape.value(METRIC_NAMES.rolloutTokens, { purpose: 'train' }), 0);
  assert.equal(scrape.value(METRIC_NAMES.judgeErrors, { kind: 'unscorable' }), 0);
  assert.equal(scrape.value(`${METRIC_NAMES.phaseSeconds}_count`, { phase: 'update', purpose: 'train' }), 0);
  assert.equal(scrape.value(METRIC_NAMES.rewardMean, { purpose: 'train' }), undefined);
  assert.equal(scrape.value(METRIC_NAMES.klRef, { purpose: 'train' }), undefined);
  assert.ok(
    scrape.samples.some((s) => s.name.startsWith('process_')),
    'process metrics',
  );
});

test('what the phases report lands in the metrics, in seconds and by label', async () => {
  const { registry, telemetry } = createPrometheusTelemetry({ processMetrics: false });
  telemetry.generation({
    purpose: 'train',
    newTokens: 40,
    prefillTokens: 12,
    prefillMs: 250,
    decodeMs: 2000,
  });
  telemetry.generation({ purpose: 'train', newTokens: 10, prefillTokens: 3, prefillMs: 250, decodeMs: 500 });
  telemetry.generation({ purpose: 'eval', newTokens: 7, prefillTokens: 1, prefillMs: 1, decodeMs: 1 });
  telemetry.phase({ phase: 'rollout', purpose: 'train', ms: 3000 });
  telemetry.phase({ phase: 'judge', purpose: 'train', ms: 1500 });
  telemetry.judgeCall({ ms: 20, failed: false });
  telemetry.judgeCall({ ms: 5000, failed: true });
  telemetry.judgeCounts({ requests: 3, cacheHits: 2, cacheMisses: 3, retries: 1, repairs: 1, unscorable: 0 });
  telemetry.rewards({ purpose: 'train', mean: 0.25 });
  telemetry.rewards({ purpose: 'train', mean: null });
  telemetry.checkpoint({ step: 1, applied: true, kl: 0.01, loss: -0.5 });
  telemetry.checkpoint({ step: 2, applied: false, kl: undefined, loss: undefined });
  telemetry.step({ purpose: 'train', step: 2, wallMs: 8000 });
  const s = parseExposition(await registry.metrics());
  const N = METRIC_NAMES;
  assert.equal(s.value(N.rolloutTokens, { purpose: 'train' }), 50);
  assert.equal(s.value(N.rolloutTokens, { purpose: 'eval' }), 7);
  assert.equal(s.value(N.rolloutPrefillTokens, { purpose: 'train' }), 15);
  assert.equal(s.value(N.rolloutPrefillSeconds, { purpose: 'train' }), 0.5);
  assert.equal(s.value(N.rolloutDecodeSeconds, { purpose: 'train' }), 2.5);
  assert.equal(s.value(`${N.phaseSeconds}_sum`, { phase: 'rollout', purpose: 'train' }), 3);
  assert.equal(s.value(`${N.phaseSeconds}_count`, { phase: 'judge', purpose: 'train' }), 1);
  assert.equal(s.value(`${N.judgeCallSeconds}_count`), 2);
  assert.equal(s.value(`${N.judgeCallSeconds}_bucket`, { le: '0.05' }), 1);
  assert.equal(s.value(N.judgeErrors, { kind: 'failed_call' }), 1);
  assert.equal(s.value(N.judgeErrors, { kind: 'transport_retry' }), 1);
  assert.equal(s.value(N.judgeErrors, { kind: 'malformed_reply' }), 1);
  assert.equal(s.value(N.judgeRequests), 3);
  assert.equal(s.value(N.verdictCacheHits), 2);
  assert.equal(s.value(N.verdictCacheMisses), 3);
  assert.equal(
    s.value(N.rewardMean, { purpose: 'train' }),
    0.25,
    'a step with no scored response keeps the last mean',
  );
  assert.equal(
    s.value(N.klRef, { purpose: 'train' }),
    0.01,
    'an update that measured no KL leaves the last one',
  );
  assert.equal(s.value(N.policyLoss, { purpose: 'train' }), -0.5);
  assert.equal(s.value(N.checkpointCommits), 2);
  assert.equal(s.value(N.lastStep, { purpose: 'train' }), 2);
  assert.equal(s.value(`${N.stepSeconds}_sum`, { purpose: 'train' }), 8);
});

test('two registries do not share counters', async () => {
  const a = createPrometheusTelemetry({ processMetrics: false });
  const b = createPrometheusTelemetry({ processMetrics: false });
  a.telemetry.checkpoint({ step: 1, applied: true, kl: undefined, loss: undefined });
  const N = METRIC_NAMES.checkpointCommits;
  assert.equal(parseExposition(await a.registry.metrics()).value(N), 1);
  assert.equal(parseExposition(await b.registry.metrics()).value(N), 0);
});
