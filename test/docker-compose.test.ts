import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse } from 'yaml';

const repo = new URL('..', import.meta.url).pathname;
const file = `${repo}docker-compose.yml`;

interface Service {
  image?: string;
  command?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  deploy?: { resources: { reservations: { devices: { driver: string; capabilities: string[] }[] } } };
  environment?: Record<string, string>;
}

// Merge keys (<<) are resolved by the YAML parser, as compose does.
const compose = parse(readFileSync(file, 'utf8'), { merge: true }) as { services: Record<string, Service> };
const workers = ['orchestrator', 'rollout', 'judge', 'trainer'];

test('the production layout has Temporal on PostgreSQL with its schema job, the Web UI and a worker per queue', () => {
  for (const name of [
    'postgresql',
    'temporal-schema',
    'temporal',
    'temporal-setup',
    'temporal-ui',
    ...workers,
  ]) {
    assert.ok(compose.services[name], `service ${name}`);
  }
  assert.equal(
    compose.services.temporal?.depends_on?.['temporal-schema']?.condition,
    'service_completed_successfully',
  );
  assert.equal(compose.services.temporal?.environment?.DB, 'postgres12');
});

test('every worker runs a built entry whose source exists and shares the store volume', () => {
  for (const name of workers) {
    const service = compose.services[name]!;
    const entry = service.command?.at(-1);
    // The image runs the build (dist/, `npm run build`); the source of each entry must exist.
    const source = entry?.match(/^dist\/(workers\/[a-z-]+)\.js$/)?.[1];
    assert.ok(source !== undefined && existsSync(`${repo}${source}.ts`), `${name}: ${entry} is built from a source`);
    assert.ok(service.volumes?.includes('store:/data'), `${name} mounts the store`);
    assert.equal(service.environment?.TEMPORAL_ADDRESS, 'temporal:7233');
  }
  const gpu = compose.services.rollout?.deploy?.resources.reservations.devices[0];
  assert.equal(gpu?.driver, 'nvidia');
  assert.deepEqual(gpu?.capabilities, ['gpu']);
});

test('no secret is written into the compose file', () => {
  const text = readFileSync(file, 'utf8');
  assert.doesNotMatch(text, /sk-[A-Za-z0-9]{8,}/);
  assert.match(text, /ANCHORAGE_JUDGE_API_KEY: \$\{ANCHORAGE_JUDGE_API_KEY:-\}/);
});

test('docker compose config accepts the file', () => {
  // `docker compose` (v2 plugin) or Debian's docker-compose; validation needs no Docker engine.
  const candidates: [string, string[]][] = [
    ['docker', ['compose', '-f', file, 'config', '-q']],
    ['docker-compose', ['-f', file, 'config', '-q']],
  ];
  for (const [cmd, args] of candidates) {
    const probe = spawnSync(cmd, cmd === 'docker' ? ['compose', 'version'] : ['version'], {
      encoding: 'utf8',
    });
    if (probe.status !== 0) continue;
    const result = spawnSync(cmd, args, { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    return;
  }
  // A missing client fails the test: .ci/run installs one.
  assert.fail('no compose client installed: `apt-get update && apt-get install -y docker-compose` provides one');
});
