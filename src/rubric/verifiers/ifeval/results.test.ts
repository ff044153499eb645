import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ifevalAccuracy, pythonJson } from './results.ts';

describe('IFEval result files', () => {
  it('writes JSON the way Python json.dumps does', () => {
    // Expected strings printed by CPython: json.dumps(...)
    assert.equal(pythonJson({ a: [true, false], b: null }), '{"a": [true, false], "b": null}');
    assert.equal(pythonJson('café "quoted"\n\ttab\u0001'), '"caf\\u00e9 \\"quoted\\"\\n\\ttab\\u0001"');
    assert.equal(pythonJson('emoji 😀 \u007f'), '"emoji \\ud83d\\ude00 \\u007f"');
  });

  it('computes prompt-level and instruction-level accuracy', () => {
    const row = (follow: boolean[]) => ({
      follow_all_instructions: follow.every(Boolean),
      follow_instruction_list: follow,
      instruction_id_list: follow.map(() => 'punctuation:no_comma'),
      prompt: 'p',
      response: 'r',
    });
    assert.deepEqual(ifevalAccuracy([row([true, true]), row([true, false]), row([false])]), {
      prompts: 3,
      promptsFollowed: 1,
      instructions: 5,
      instructionsFollowed: 3,
      promptLevel: 1 / 3,
      instructionLevel: 3 / 5,
    });
  });
});
