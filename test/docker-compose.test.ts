import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { loadRunConfig } from '../src/config/load.ts';
import { storeLocationFromEnv } from '../src/config/store-env.ts';
import { METRIC_NAMES } from '../src/telemetry/metric-names.ts';
import { DEV_SERVER_DYNAMIC_CONFIG } from '../src/temporal/dev-server.ts';
import { workerSettings } from '../workers/env.ts';

const repo = new URL('..', import.meta.url).pathname;
const file = `${repo}docker-compose.yml`;

interface Service {
  image?: string;
  build?: { context: string };
  command?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  deploy?: { resources: { reservations: { devices: { driver: string; capabilities: string[] }[] } } };
  environment?: Record<string, string>;
  ports?: string[];
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
    assert.ok(
      source !== undefined && existsSync(`${repo}${source}.ts`),
      `${name}: ${entry} is built from a source`,
    );
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
  assert.match(text, /AWS_SECRET_ACCESS_KEY: \$\{MINIO_ROOT_PASSWORD:-\}/);
  assert.match(text, /MINIO_ROOT_PASSWORD: \$\{MINIO_ROOT_PASSWORD:-\}/);
});

test('every worker selects the MinIO store by its environment, once minio-setup has made the bucket', () => {
  const minio = compose.services.minio!;
  assert.ok(
    existsSync(`${repo}${minio.build?.context}/Dockerfile`),
    'MinIO is built from a Dockerfile kept here',
  );
  assert.ok(minio.ports?.includes('9000:9000'), 'clients and workers elsewhere reach the store on :9000');
  const setup = compose.services['minio-setup']!;
  assert.equal(setup.depends_on?.minio?.condition, 'service_healthy');
  for (const name of workers) {
    const service = compose.services[name]!;
    const location = storeLocationFromEnv({ env: { ...service.environment, ANCHORAGE_DATA_DIR: '/data' } });
    assert.equal(location.type, 's3', `${name} opens the bucket`);
    if (location.type !== 's3') continue;
    assert.equal(location.endpoint, 'http://minio:9000');
    assert.equal(location.cacheDir, '/data/store-cache', `${name} caches objects on its data volume`);
    assert.match(
      setup.command?.join('\n') ?? '',
      new RegExp(`mc mb --ignore-existing store/${location.bucket}\n`),
    );
    assert.equal(service.depends_on?.['minio-setup']?.condition, 'service_completed_successfully');
  }
});

/**
 * The variables a recipe gives `anchorage train` for `run` (the `NAME=value` words of the command,
 * its continuation lines joined), in `text` (the README, or the compose file's comment).
 */
function trainCommandEnv(text: string, run: string): Record<string, string> {
  const command = text
    .replace(/\\\n[#\s]*/g, ' ')
    .split('\n')
    .find((line) => line.includes(`anchorage train --config ${run}`));
  assert.ok(command !== undefined, `a command training ${run}`);
  return Object.fromEntries(
    [...command.matchAll(/\b([A-Z][A-Z0-9_]*)=("[^"]*"|\S+)/g)].map((m) => [
      m[1]!,
      m[2]!.replace(/^"|"$/g, ''),
    ]),
  );
}

test("the recipes' run, configs/example-large.yaml, uses the queues the workers poll and the store they open", () => {
  const run = 'configs/example-large.yaml';
  const minio = compose.services.minio!;
  for (const [recipe, text] of [
    ['README.md', readFileSync(`${repo}README.md`, 'utf8')],
    ['docker-compose.yml', readFileSync(file, 'utf8')],
  ] as const) {
    const { config } = loadRunConfig(`${repo}${run}`, { env: trainCommandEnv(text, run) });
    assert.equal(config.store.type, 's3', `${recipe}: the run's store is a bucket`);
    if (config.store.type !== 's3') continue;
    // The client reaches MinIO from outside compose, on a port the minio service publishes.
    const port = new URL(config.store.endpoint ?? 'https://aws').port;
    assert.ok(minio.ports?.includes(`${port}:9000`), `${recipe}: MinIO is published on ${port}`);
    for (const name of workers) {
      const settings = workerSettings({
        ...compose.services[name]!.environment,
        ANCHORAGE_DATA_DIR: '/data',
      });
      assert.deepEqual(
        settings.taskQueues,
        config.temporal.taskQueues,
        `${recipe}: ${name} polls the run's queues`,
      );
      assert.equal(settings.store.type, 's3');
      if (settings.store.type !== 's3') continue;
      assert.deepEqual(
        [settings.store.bucket, settings.store.prefix, settings.store.region],
        [config.store.bucket, config.store.prefix, config.store.region],
        `${recipe}: ${name} opens the run's bucket`,
      );
    }
  }
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
  assert.fail(
    'no compose client installed: `apt-get update && apt-get install -y docker-compose` provides one',
  );
});

/** The bind mounts of a service: host path (relative to the repository) -> path in the container. */
function bindMounts(service: Service): Map<string, string> {
  const mounts = new Map<string, string>();
  for (const volume of service.volumes ?? []) {
    const [host, container] = volume.split(':');
    if (host?.startsWith('./') && container !== undefined) mounts.set(host.slice(2), container);
  }
  return mounts;
}

/** The repository file a service mounts at `containerPath` (or under a mounted folder). */
function mountedFile(service: Service, containerPath: string): string | undefined {
  for (const [host, container] of bindMounts(service)) {
    if (containerPath === container) return host;
    if (containerPath.startsWith(`${container}/`)) return `${host}${containerPath.slice(container.length)}`;
  }
  return undefined;
}

const readYaml = (path: string) => parse(readFileSync(`${repo}${path}`, 'utf8')) as Record<string, unknown>;

test('every file a service mounts from the repository exists', () => {
  const mounts = Object.entries(compose.services).flatMap(([name, service]) =>
    [...bindMounts(service).keys()].map((host) => [name, host] as const),
  );
  assert.ok(mounts.length >= 3, 'prometheus and grafana mount their configuration');
  for (const [name, host] of mounts)
    assert.ok(existsSync(`${repo}${host}`), `${name} mounts ${host}, which exists`);
});

test('Prometheus scrapes every worker on the port its metrics are served on', () => {
  const prometheus = compose.services.prometheus!;
  const configPath = prometheus.command?.find((c) => c.startsWith('--config.file='))?.split('=')[1];
  const config = readYaml(mountedFile(prometheus, configPath ?? '')!) as {
    scrape_configs: Array<{ dns_sd_configs?: Array<{ names: string[]; port: number }> }>;
  };
  const targets = config.scrape_configs.flatMap((job) =>
    (job.dns_sd_configs ?? []).flatMap((sd) => sd.names.map((name) => [name, sd.port] as const)),
  );
  for (const name of workers) {
    const port = Number(compose.services[name]?.environment?.ANCHORAGE_METRICS_PORT);
    assert.ok(port > 0, `${name} serves metrics (ANCHORAGE_METRICS_PORT)`);
    assert.deepEqual(
      targets.filter(([n]) => n === name),
      [[name, port]],
      `${name} is scraped on :${port}`,
    );
  }
});

test('Grafana provisions the Prometheus data source and the dashboard, whose queries name declared metrics', () => {
  const grafana = compose.services.grafana!;
  const provisioning = (kind: string) => {
    const dir = mountedFile(grafana, `/etc/grafana/provisioning/${kind}`)!;
    return readYaml(`${dir}/${kind === 'datasources' ? 'prometheus' : 'anchorage'}.yml`);
  };
  const [source] = provisioning('datasources').datasources as Array<{
    uid: string;
    type: string;
    url: string;
  }>;
  assert.equal(source?.type, 'prometheus');
  assert.match(source!.url, /^http:\/\/prometheus:9090$/);
  assert.ok(compose.services.prometheus?.ports?.some((p) => p.endsWith(':9090')));

  const [provider] = provisioning('dashboards').providers as Array<{ options: { path: string } }>;
  const dashboardFile = mountedFile(grafana, posix.join(provider!.options.path, 'anchorage.json'));
  assert.equal(
    dashboardFile,
    'deploy/grafana/anchorage.json',
    'the provider loads the dashboard kept in the repository',
  );
  const dashboard = JSON.parse(readFileSync(`${repo}${dashboardFile}`, 'utf8')) as {
    panels: Array<{ type: string; datasource?: { uid: string }; targets?: Array<{ expr: string }> }>;
  };
  const queries = dashboard.panels.filter((p) => p.type !== 'row');
  for (const panel of queries)
    assert.equal(panel.datasource?.uid, source!.uid, 'panels use the provisioned source');
  const exprs = queries.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
  const named = new Set(
    exprs.flatMap((e) =>
      [...e.matchAll(/\banchorage_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, '')),
    ),
  );
  const declared = new Set<string>(Object.values(METRIC_NAMES));
  assert.deepEqual(
    [...named].filter((n) => !declared.has(n)),
    [],
    'every anchorage_ metric the dashboard queries is declared in src/telemetry/metric-names.ts',
  );
  assert.deepEqual(
    [...declared].filter((n) => !named.has(n)),
    [],
    'and the dashboard shows each of them',
  );
});

test("the compose server loads the dev servers' dynamic configuration, with the same values", () => {
  const temporal = compose.services.temporal!;
  const relative = temporal.environment?.DYNAMIC_CONFIG_FILE_PATH;
  assert.ok(relative !== undefined, 'the temporal service names its dynamic configuration file');
  // The server image resolves a relative path against its working folder, /etc/temporal.
  const host = mountedFile(temporal, posix.join('/etc/temporal', relative));
  assert.equal(host, 'deploy/temporal/dynamicconfig.yaml', 'the file comes from the repository');
  const file = readYaml(host!) as Record<string, Array<{ value: unknown }>>;
  for (const entry of DEV_SERVER_DYNAMIC_CONFIG) {
    const [key, value] = entry.split('=') as [string, string];
    assert.deepEqual(
      file[key]?.map((v) => String(v.value)),
      [value],
      `${key} is ${value} in ${host}, as DEV_SERVER_DYNAMIC_CONFIG sets it`,
    );
  }
  assert.deepEqual(
    Object.keys(file).sort(),
    DEV_SERVER_DYNAMIC_CONFIG.map((e) => e.split('=')[0]).sort(),
    'no key that the dev servers do not also set',
  );
});
