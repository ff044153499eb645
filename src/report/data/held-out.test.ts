import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LocalFolderStore } from '../../store/local-store.ts';
import { mostImproved, readEvalAnswers } from './held-out.ts';
import type { AnswerReward, HeldOutPrompt } from './report-data.ts';

const prompt = (promptId: string, step: number, reward: AnswerReward): HeldOutPrompt => ({
  promptId,
  promptText: `prompt ${promptId}`,
  answers: [
    { step, text: `answer ${promptId}`, finishReason: 'stop', tokens: 3, samples: 1, reward, criteria: [] },
  ],
});
const scored = (value: number): AnswerReward => ({ status: 'scored', value, vetoedBy: [] });

describe('held-out answers', () => {
  it('picks the prompt whose scored reward rose most; unscorable answers take no part', () => {
    const best = mostImproved(
      [
        prompt('a', 0, scored(0.2)),
        prompt('b', 0, scored(0.1)),
        prompt('c', 0, { status: 'unscorable', reason: 'judge down' }),
        prompt('d', 0, scored(0.5)),
      ],
      [
        prompt('a', 12, scored(0.4)),
        prompt('b', 12, scored(0.6)),
        prompt('c', 12, scored(1)),
        prompt('e', 12, scored(1)),
      ],
    );
    assert.equal(best?.promptId, 'b');
    assert.deepEqual(
      best?.answers.map((a) => a.step),
      [0, 12],
    );
    assert.equal(
      mostImproved([prompt('a', 0, { status: 'not-scored' })], [prompt('a', 6, scored(1))]),
      undefined,
    );
  });

  it('an evaluation that left nothing in the store has no answers (not an empty list)', async () => {
    const store = new LocalFolderStore({ root: await mkdtemp(join(tmpdir(), 'held-out-')) });
    assert.equal(await readEvalAnswers({ store, trainRunId: 'run-1', step: 6 }), undefined);
  });
});
