import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bar, LiveLine, runLine } from './progress-line.ts';

describe('progress line', () => {
  it('draws bars filled to the fraction, clamped, NaN empty', () => {
    assert.equal(bar(0, 4), '░░░░');
    assert.equal(bar(0.5, 4), '██░░');
    assert.equal(bar(1, 4), '████');
    assert.equal(bar(2, 4), '████');
    assert.equal(bar(-1, 4), '░░░░');
    assert.equal(bar(Number.NaN, 4), '░░░░');
  });

  it('shows the run, the step in flight with its phase, and the last reward', () => {
    const line = runLine(
      {
        completedSteps: 5,
        totalSteps: 10,
        step: { step: 6, seconds: 14.2, phase: { name: 'rollouts', fraction: 0.38 } },
        lastReward: 0.2334,
      },
      { run: 10, phase: 5 },
    );
    assert.equal(line, 'steps █████░░░░░ 5/10 · step 6 (14 s) rollouts ██░░░ 38% · last reward 0.233');
    assert.equal(
      runLine(
        {
          completedSteps: 0,
          totalSteps: 2,
          step: { step: 1, seconds: 3, phase: { name: 'judging', fraction: 0.5, detail: '1/2 shards' } },
        },
        { run: 4, phase: 4 },
      ),
      'steps ░░░░ 0/2 · step 1 (3 s) judging ██░░ 1/2 shards',
    );
    assert.equal(
      runLine(
        { completedSteps: 2, totalSteps: 2, task: 'evaluation after step 2', lastReward: null },
        { run: 2, phase: 2 },
      ),
      'steps ██ 2/2 · evaluation after step 2',
    );
  });

  it('redraws in place on a terminal and prints the plain form once per change elsewhere', () => {
    const tty = {
      text: '',
      isTTY: true,
      write(t: string) {
        this.text += t;
      },
    };
    const live = new LiveLine(tty);
    live.show('a 10%', 'a');
    live.show('a 20%', 'a');
    live.print('step 1 done');
    live.end();
    assert.equal(tty.text, '\r\x1b[2Ka 10%\r\x1b[2Ka 20%\r\x1b[2Kstep 1 done\na 20%\r\x1b[2K');

    const pipe = {
      text: '',
      write(t: string) {
        this.text += t;
      },
    };
    const plain = new LiveLine(pipe);
    plain.show('a ██░░ 10%', 'a');
    plain.show('a ███░ 20%', 'a');
    plain.show('b', 'b');
    plain.print('step 1 done');
    assert.equal(pipe.text, 'a\nb\nstep 1 done\n');
  });
});
