import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tinyConfig } from '../../models/llama/testing/tiny-llama.ts';
import { fullStepFlops, loraStepFlops } from './train-flops.ts';

test('LoRA step FLOPs: 2 x (2 N tokens + attention), by hand for the tiny model', () => {
  const config = tinyConfig(); // hidden 64, 2 layers, 4 heads, 2 KV heads, head 16, FFN 96, vocab 260
  const perLayer = 2 * 64 * 64 + 2 * 64 * 32 + 3 * 64 * 96; // q+o, k+v, gate+up+down
  const n = 2 * perLayer + 260 * 64;
  const tokens = 3 * 10;
  const attention = 4 * 3 * 10 * 10 * 64 * 2;
  assert.equal(loraStepFlops({ config, batch: 3, seqLen: 10 }), 2 * (2 * n * tokens + attention));
  assert.equal(fullStepFlops({ config, batch: 3, seqLen: 10 }), 3 * (2 * n * tokens + attention));
});
