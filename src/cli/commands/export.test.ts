import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ExportFixture, writeExportFixture } from '../../export/testing/export-fixture.ts';
import { runAnchorage } from '../testing/cli-runner.ts';

const work = mkdtempSync(join(tmpdir(), 'anchorage-export-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));
const anchorage = (...args: string[]) => runAnchorage(work, ...args);
let fx: ExportFixture;
before(async () => {
  fx = await writeExportFixture({ seed: 51 });
});
after(() => fx?.dispose());

describe('anchorage export, and an exported PEFT folder back in generate and eval', () => {
  it('--format peft writes the folder; generate --lora and eval --checkpoint take it as they take the checkpoint', () => {
    const exported = anchorage(
      'export',
      '--format',
      'peft',
      '--checkpoint',
      fx.checkpointDir,
      '--model',
      fx.modelPath,
      '--out',
      'peft',
      '--json',
    );
    assert.equal(exported.code, 0, exported.stderr);
    const result = JSON.parse(exported.stdout) as {
      files: { name: string; bytes: number }[];
      format: string;
    };
    assert.equal(result.format, 'peft');
    assert.deepEqual(readdirSync(join(work, 'peft')).sort(), [
      'adapter_config.json',
      'adapter_model.safetensors',
    ]);

    const generate = (lora: string) => {
      const r = anchorage(
        'generate',
        '--model',
        fx.modelPath,
        '--lora',
        lora,
        '--prompt',
        'The ferry',
        '--temperature',
        '0',
        '--max-new-tokens',
        '12',
        '--json',
      );
      assert.equal(r.code, 0, r.stderr);
      return (JSON.parse(r.stdout) as { tokenIds: number[] }).tokenIds;
    };
    assert.deepEqual(generate(join(work, 'peft')), generate(fx.checkpointDir));

    const texts = join(work, 'texts.jsonl');
    writeFileSync(
      texts,
      `${JSON.stringify({ id: 'a', text: 'The ferry left at dawn, and the gulls followed it.' })}\n`,
    );
    const perplexity = (out: string, ...extra: string[]) => {
      const args = [
        'eval',
        '--suite',
        'perplexity',
        '--prompts',
        texts,
        '--chunk-tokens',
        '32',
        '--model',
        fx.modelPath,
      ];
      const r = anchorage(...args, ...extra, '--out', out, '--json');
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout) as { perplexity: number; checkpoint: string | null };
    };
    const viaPeft = perplexity('eval-peft', '--checkpoint', join(work, 'peft'));
    const viaCheckpoint = perplexity('eval-ckpt', '--checkpoint', fx.checkpointDir);
    const base = perplexity('eval-base');
    assert.equal(viaPeft.perplexity, viaCheckpoint.perplexity);
    assert.notEqual(viaPeft.perplexity, base.perplexity);
  });

  it('bad requests (the library test has the rest): the format, the checkpoint flags, a folder without adapters', () => {
    mkdirSync(join(work, 'full'));
    writeFileSync(join(work, 'full', 'keep.txt'), 'x');
    const common = ['--checkpoint', fx.checkpointDir, '--model', fx.modelPath];
    const cases: [string[], RegExp][] = [
      [['--format', 'onnx', ...common, '--out', 'o'], /unknown export format 'onnx'; known: gguf, hf, peft/],
      [['--format', 'hf', '--step', '3', '--out', 'o'], /--step goes with --run <trainRunId>/],
      [
        ['--format', 'hf', '--out', 'o'],
        /name the checkpoint: --run <trainRunId> --step <n>, or --checkpoint <dir>/,
      ],
      [
        ['--format', 'gguf', '--checkpoint', join(work, 'full'), '--model', fx.modelPath, '--out', 'o'],
        /full: expected an adapter folder, anchorage-checkpoint \(checkpoint\.json, adapter\.safetensors\) or peft \(adapter_config\.json, adapter_model\.safetensors\); the folder holds keep\.txt/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = anchorage('export', ...args);
      assert.notEqual(r.code, 0, args.join(' '));
      assert.match(r.stderr, message);
    }
    assert.equal(readdirSync(work).includes('o'), false);
    assert.equal(
      readdirSync(work).some((f) => f.includes('.partial-')),
      false,
    );
  });
});
