import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openStore } from '../store/open-store.ts';
import { S3ArtifactStore } from '../store/s3-store.ts';
import { parseRunConfig } from './load.ts';
import { storeLocationFor, storeLocationFromEnv } from './store-env.ts';

const env = { ANCHORAGE_DATA_DIR: '/data' };

describe('the store the environment selects', () => {
  it('a local folder unless ANCHORAGE_STORE_URL names a bucket', () => {
    assert.deepEqual(storeLocationFromEnv({ env }), { type: 'local', path: '/data/store' });
    assert.deepEqual(storeLocationFromEnv({ env: { ...env, ANCHORAGE_STORE_DIR: '/mnt/store' } }), {
      type: 'local',
      path: '/mnt/store',
    });
    assert.deepEqual(
      storeLocationFromEnv({ env: { ...env, ANCHORAGE_STORE_URL: 's3://runs-bucket/team/a/' } }),
      {
        type: 's3',
        bucket: 'runs-bucket',
        prefix: 'team/a',
        region: 'us-east-1',
        cacheDir: '/data/store-cache',
      },
    );
    assert.deepEqual(
      storeLocationFromEnv({
        env: {
          ...env,
          ANCHORAGE_STORE_URL: 's3://runs-bucket',
          AWS_ENDPOINT_URL: 'http://minio:9000',
          AWS_ENDPOINT_URL_S3: 'http://minio-s3:9000',
          AWS_REGION: 'eu-west-1',
          ANCHORAGE_STORE_CACHE: '/cache',
        },
      }),
      {
        type: 's3',
        bucket: 'runs-bucket',
        prefix: '',
        endpoint: 'http://minio-s3:9000',
        region: 'eu-west-1',
        cacheDir: '/cache',
      },
      'the S3-specific endpoint variable wins over the general one',
    );
  });

  it('names the variable at fault, and never echoes credentials', () => {
    assert.throws(
      () => storeLocationFromEnv({ env: { ANCHORAGE_STORE_URL: 's3://b/x', ANCHORAGE_STORE_DIR: '/x' } }),
      /both ANCHORAGE_STORE_URL \(s3:\/\/b\/x\) and ANCHORAGE_STORE_DIR \(\/x\) are set; expected one/,
    );
    assert.throws(
      () => storeLocationFromEnv({ env: { ANCHORAGE_STORE_URL: 'https://bucket/x' } }),
      /^ValidationError: ANCHORAGE_STORE_URL: expected s3:\/\/<bucket>\/<prefix>, got 'https:\/\/bucket\/x'$/,
    );
    assert.throws(
      () => storeLocationFromEnv({ env: { ANCHORAGE_STORE_URL: 's3://Bad_Bucket/x' } }),
      /ANCHORAGE_STORE_URL: expected s3:\/\/<bucket>\/<prefix> with an S3 bucket name: 3-63 lower-case/,
    );
    assert.throws(
      () => storeLocationFromEnv({ env: { ANCHORAGE_STORE_URL: 's3://bucket/a//b' } }),
      /with a key prefix: slash-separated segments/,
    );
    let message = '';
    try {
      storeLocationFromEnv({
        env: { ANCHORAGE_STORE_URL: 's3://bucket', AWS_ENDPOINT_URL: 'http://key:hunter22@minio:9000' },
      });
    } catch (err) {
      message = (err as Error).message;
    }
    assert.match(
      message,
      /environment variable AWS_ENDPOINT_URL: expected an endpoint URL without credentials/,
    );
    assert.doesNotMatch(message, /hunter22/);
  });

  it('a --store flag names a folder or a bucket', () => {
    assert.deepEqual(storeLocationFor({ flag: 'st', cwd: '/w', env }), { type: 'local', path: '/w/st' });
    assert.equal(storeLocationFor({ flag: 's3://flag-bucket/p', env }).type, 's3');
    assert.deepEqual(storeLocationFor({ env }), { type: 'local', path: '/data/store' });
  });

  it('opens an S3 store for an s3 location, without touching the network', () => {
    const store = openStore(
      storeLocationFromEnv({ env: { ...env, ANCHORAGE_STORE_URL: 's3://runs-bucket/p' } }),
    );
    assert.ok(store instanceof S3ArtifactStore);
    assert.equal(store.location, 's3://runs-bucket/p');
    assert.equal(store.cacheDir, '/data/store-cache');
  });
});

describe('a run configuration’s store', () => {
  const load = (text: string, extra: NodeJS.ProcessEnv = {}) =>
    parseRunConfig({ text, file: '/cfg/run.yaml', env: { ...env, ...extra } }).config.store;

  it('type s3 names a bucket; endpoint, region and cache default from the environment', () => {
    assert.deepEqual(
      load('store:\n  type: s3\n  bucket: runs-bucket\n  prefix: exp/\n  cache: cache\n', {
        AWS_ENDPOINT_URL: 'http://minio:9000',
      }),
      {
        type: 's3',
        bucket: 'runs-bucket',
        prefix: 'exp',
        endpoint: 'http://minio:9000',
        region: 'us-east-1',
        cacheDir: '/cfg/cache',
      },
    );
    assert.deepEqual(
      load('store:\n  type: s3\n  bucket: runs-bucket\n  endpoint: http://ceph:7480\n  region: r1\n'),
      {
        type: 's3',
        bucket: 'runs-bucket',
        prefix: '',
        endpoint: 'http://ceph:7480',
        region: 'r1',
        cacheDir: '/data/store-cache',
      },
    );
  });

  it('without a type the environment decides; a path or type local is a folder', () => {
    assert.deepEqual(load(''), { type: 'local', path: '/data/store' });
    assert.equal(load('', { ANCHORAGE_STORE_URL: 's3://env-bucket' }).type, 's3');
    assert.deepEqual(load('store:\n  path: st\n', { ANCHORAGE_STORE_URL: 's3://env-bucket' }), {
      type: 'local',
      path: '/cfg/st',
    });
    assert.deepEqual(load('store:\n  type: local\n', { ANCHORAGE_STORE_URL: 's3://env-bucket' }), {
      type: 'local',
      path: '/data/store',
    });
  });

  it('errors name the file, line and field', () => {
    assert.throws(() => load('store:\n  type: s3\n'), /run\.yaml:2, field store\.bucket: /);
    assert.throws(
      () => load('store:\n  type: s3\n  bucket: Bad_Name\n'),
      /run\.yaml:3, field store\.bucket: .*an S3 bucket name/,
    );
    assert.throws(
      () => load('store:\n  type: s3\n  bucket: ok-bucket\n  path: /x\n'),
      /run\.yaml:4, field store\.path: unknown key 'path'; expected one of: type, bucket, prefix, endpoint, region, cache/,
    );
    assert.throws(() => load('store:\n  type: gcs\n'), /field store\.type: /);
  });
});
