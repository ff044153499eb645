import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LocalFolderStore } from '../store/local-store.ts';
import { type EvalAnswer, mostImproved, readEvalAnswers } from './eval-answers.ts';

const answer = (promptId: string, reward: number | null): EvalAnswer => ({
  promptId,
  promptText: `prompt ${promptId}`,
  response: `answer ${promptId} ${reward}`,
  finishReason: 'stop',
  reward,
  verdicts: [],
});

describe('eval answers', () => {
  it('picks the prompt whose reward rose most; unscorable answers take no part', () => {
    const pair = mostImproved(
      [answer('a', 0.2), answer('b', 0.1), answer('c', null), answer('d', 0.5)],
      [answer('a', 0.4), answer('b', 0.6), answer('c', 1), answer('e', 1)],
    );
    assert.equal(pair?.before.promptId, 'b');
    assert.equal(pair?.after.reward, 0.6);
    assert.equal(mostImproved([answer('a', null)], [answer('a', 1)]), undefined);
  });

  it('names the run and step when the evaluation does not exist', async () => {
    const store = new LocalFolderStore({ root: await mkdtemp(join(tmpdir(), 'eval-answers-')) });
    await assert.rejects(
      readEvalAnswers({ store, trainRunId: 'run-1', step: 6 }),
      /run run-1 has no scored evaluation after step 6/,
    );
  });
});
