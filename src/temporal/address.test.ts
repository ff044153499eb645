import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isLoopbackHost, parseAddress, temporalAddress, temporalNamespace } from './address.ts';

test('addresses: parsing, loopback detection and environment defaults', () => {
  assert.deepEqual(parseAddress('localhost:7233'), { host: 'localhost', port: 7233 });
  assert.deepEqual(parseAddress('[::1]:7000'), { host: '[::1]', port: 7000 });
  assert.throws(() => parseAddress('localhost'), /expected a Temporal address host:port .* got 'localhost'/);
  assert.throws(() => parseAddress('localhost:70000'), /host:port/);
  for (const host of ['localhost', '127.0.0.1', '127.1.2.3', '[::1]'])
    assert.equal(isLoopbackHost(host), true, host);
  for (const host of ['0.0.0.0', 'temporal.example.com', '10.0.0.1'])
    assert.equal(isLoopbackHost(host), false, host);
  assert.equal(temporalAddress({}), 'localhost:7233');
  assert.equal(temporalAddress({ TEMPORAL_ADDRESS: 'h:1' }), 'h:1');
  assert.equal(temporalNamespace({}), 'default');
  assert.equal(temporalNamespace({ TEMPORAL_NAMESPACE: 'train' }), 'train');
});
