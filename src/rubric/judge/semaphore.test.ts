import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Semaphore } from './semaphore.ts';

test('at most `limit` holders; waiters are served in arrival order', async () => {
  const sem = new Semaphore(2);
  const order: string[] = [];
  let holding = 0;
  let most = 0;
  const gates = new Map<string, () => void>();
  const task = (name: string) =>
    sem.run(async () => {
      order.push(name);
      holding++;
      most = Math.max(most, holding);
      await new Promise<void>((resolve) => gates.set(name, resolve));
      holding--;
    });
  const all = ['a', 'b', 'c', 'd', 'e'].map(task);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, ['a', 'b']);
  assert.equal(sem.held, 2);
  gates.get('b')!();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, ['a', 'b', 'c']);
  for (const name of ['a', 'c', 'd', 'e']) {
    gates.get(name)!();
    await new Promise((r) => setImmediate(r));
  }
  await Promise.all(all);
  assert.deepEqual(order, ['a', 'b', 'c', 'd', 'e']);
  assert.equal(most, 2);
  assert.equal(sem.held, 0);
});

test('a slot is given back when the task throws, and releasing twice is harmless', async () => {
  const sem = new Semaphore(1);
  await assert.rejects(
    sem.run(async () => {
      throw new Error('boom');
    }),
    /boom/,
  );
  assert.equal(sem.held, 0);
  const release = await sem.acquire();
  release();
  release();
  assert.equal(sem.held, 0);
  assert.throws(() => new Semaphore(0), RangeError);
});
