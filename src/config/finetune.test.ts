import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { TRAINABLE_KINDS } from '../engine/trainable.ts';
import { FINETUNE_MODES, FinetuneSettings } from './finetune.ts';
import { parseRunConfig } from './load.ts';

const parse = (text: string) =>
  parseRunConfig({
    text,
    file: join(resolve(import.meta.dirname, '../../configs'), 'test.yaml'),
    env: { ...process.env, ANCHORAGE_DATA_DIR: '/data/anchorage' },
  });

test('finetune.mode: LoRA by default, full on request, the engine kinds and nothing else', () => {
  assert.deepEqual([...FINETUNE_MODES].sort(), Object.keys(TRAINABLE_KINDS).sort());
  assert.equal(FinetuneSettings.parse({}).mode, 'lora');
  assert.equal(FinetuneSettings.parse({ mode: 'full' }).mode, 'full');
  assert.throws(() => FinetuneSettings.parse({ mode: 'qlora' }), /lora or full/);
  assert.throws(() => FinetuneSettings.parse({ mode: 'full', rank: 4 }), /rank/);
  assert.equal(parse('name: x\n').config.finetune.mode, 'lora');
  assert.equal(parse('finetune:\n  mode: full\n').config.finetune.mode, 'full');
});
