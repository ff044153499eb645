import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import pino from 'pino';
import { StoreCapabilityError } from '../src/store/errors.ts';
import { LocalFolderStore } from '../src/store/local-store.ts';
import { openStore } from '../src/store/open-store.ts';
import { type HeaderProxy, startHeaderProxy } from '../src/store/testing/header-proxy.ts';
import { type MotoServer, startMotoServer } from '../src/store/testing/moto-server.ts';
import { checkStore } from './check-store.ts';
import { cleanStoreTemp } from './clean-store-temp.ts';
import { workerSettings } from './env.ts';

Object.assign(process.env, {
  AWS_ACCESS_KEY_ID: 'moto-test-key',
  AWS_SECRET_ACCESS_KEY: 'moto-test-secret-1234',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
});

const dir = mkdtempSync(join(tmpdir(), 'anchorage-check-store-'));
let moto: MotoServer;
let ignoring: HeaderProxy;
before(async () => {
  moto = await startMotoServer();
  const client = new S3Client({ endpoint: moto.endpoint, region: 'us-east-1', forcePathStyle: true });
  await client.send(new CreateBucketCommand({ Bucket: 'worker-store' }));
  client.destroy();
  ignoring = await startHeaderProxy({ target: moto.endpoint, strip: ['if-none-match', 'if-match'] });
});
after(async () => {
  await ignoring?.stop();
  await moto?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('a worker opens the bucket ANCHORAGE_STORE_URL names and checks it before it takes tasks', async () => {
  const lines: Array<{ msg: string; store?: string }> = [];
  const log = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  const env = (endpoint: string) => ({
    ANCHORAGE_DATA_DIR: dir,
    ANCHORAGE_STORE_URL: 's3://worker-store/runs',
    AWS_ENDPOINT_URL: endpoint,
  });

  const settings = workerSettings(env(moto.endpoint));
  assert.deepEqual(settings.store, {
    type: 's3',
    bucket: 'worker-store',
    prefix: 'runs',
    endpoint: moto.endpoint,
    region: 'us-east-1',
    cacheDir: join(dir, 'store-cache'),
  });
  await checkStore({ store: openStore(settings.store), log });
  assert.deepEqual(
    lines.map((l) => [l.msg, l.store]),
    [['S3 store checked: conditional writes honoured', `s3://worker-store/runs at ${moto.endpoint}`]],
  );

  // The same bucket behind a server that ignores If-None-Match and If-Match: the worker stops.
  await assert.rejects(
    checkStore({ store: openStore(workerSettings(env(ignoring.endpoint)).store), log }),
    (err: unknown) => err instanceof StoreCapabilityError && /ignores If-None-Match: \*/.test(err.message),
  );
  // A local folder needs no check.
  await checkStore({ store: new LocalFolderStore({ root: join(dir, 'local') }), log });
  assert.equal(lines.length, 1);
});

test("a starting worker clears what killed processes left in its S3 store's cache", async () => {
  const settings = workerSettings({
    ANCHORAGE_STORE_URL: 's3://worker-store/clean',
    AWS_ENDPOINT_URL: moto.endpoint,
    ANCHORAGE_STORE_CACHE: join(dir, 'clean-cache'),
  });
  const tmp = join(dir, 'clean-cache', 'tmp');
  mkdirSync(tmp, { recursive: true });
  writeFileSync(join(tmp, '999-deadbeef'), 'half a download');
  utimesSync(join(tmp, '999-deadbeef'), new Date(0), new Date(0));
  writeFileSync(join(tmp, '998-fresh'), 'a live writer');
  const removed = await cleanStoreTemp({ store: openStore(settings.store), log: pino({ level: 'silent' }) });
  assert.equal(removed, 1);
  assert.deepEqual(readdirSync(tmp), ['998-fresh']);
});
