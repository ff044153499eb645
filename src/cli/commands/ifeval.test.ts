import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runAnchorage, SHARED_IFEVAL_DIR } from '../testing/cli-runner.ts';

const dataDir = SHARED_IFEVAL_DIR;
const work = mkdtempSync(join(tmpdir(), 'anchorage-ifeval-'));
after(() => rmSync(work, { recursive: true, force: true }));
const anchorage = (...args: string[]) => runAnchorage(work, ...args);

function writeLines(name: string, rows: unknown[]): string {
  const file = join(work, name);
  writeFileSync(file, `${rows.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n')}\n`);
  return file;
}

const PROMPTS = [
  { key: 1, prompt: 'Say hi without commas.', instruction_id_list: ['punctuation:no_comma'], kwargs: [{}] },
  {
    key: 2,
    prompt: 'Write in capitals, then end with "Bye."',
    instruction_id_list: ['change_case:english_capital', 'startend:end_checker'],
    kwargs: [{}, { end_phrase: 'Bye.' }],
  },
  {
    key: 3,
    prompt: 'Give a title.',
    instruction_id_list: ['detectable_format:title'],
    // Hugging Face style: unused arguments present as null.
    kwargs: [{ num_words: null, relation: null }],
  },
];

describe('anchorage ifeval', () => {
  it('writes result files in the reference format and prints the accuracies', () => {
    const input = writeLines('prompts.jsonl', PROMPTS);
    const responses = writeLines('responses.jsonl', [
      { key: 1, response: 'Hi there' },
      // Matched by prompt text; the last line is not in capitals, so only loose mode passes it.
      { prompt: 'Write in capitals, then end with "Bye."', response: 'HELLO THERE FRIEND. BYE.\nsee you' },
      { key: 3, response: null },
    ]);
    const r = anchorage('ifeval', '--input', input, '--responses', responses, '--out', 'results');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /3 prompts \(3 answered\), 4 instructions/);
    assert.match(r.stdout, /^strict {2}0\.3333 \(1\/3\) +0\.2500 \(1\/4\)$/m);
    assert.match(r.stdout, /^loose {3}0\.6667 \(2\/3\) +0\.7500 \(3\/4\)$/m);

    const strict = readFileSync(join(work, 'results/eval_results_strict.jsonl'), 'utf8').trim().split('\n');
    assert.equal(strict.length, 3);
    // Same bytes as Python's json.dumps of the reference's output object (keys in its order).
    assert.equal(
      strict[0],
      '{"follow_all_instructions": true, "follow_instruction_list": [true], "instruction_id_list": ["punctuation:no_comma"], "prompt": "Say hi without commas.", "response": "Hi there"}',
    );
    assert.deepEqual(JSON.parse(strict[1]!).follow_instruction_list, [false, false]);
    assert.deepEqual(JSON.parse(strict[2]!), {
      follow_all_instructions: false,
      follow_instruction_list: [false],
      instruction_id_list: ['detectable_format:title'],
      prompt: 'Give a title.',
      response: null,
    });
    const loose = readFileSync(join(work, 'results/eval_results_loose.jsonl'), 'utf8').trim().split('\n');
    assert.deepEqual(JSON.parse(loose[1]!).follow_instruction_list, [true, true]);
  });

  it('names the file, line and field of bad input', () => {
    const input = writeLines('prompts-ok.jsonl', PROMPTS);
    const cases: Array<[string[], RegExp]> = [
      [
        ['--input', writeLines('bad-json.jsonl', [PROMPTS[0], '{"key": 2,']), '--responses', input],
        /bad-json\.jsonl:2: expected a JSON object/,
      ],
      [
        [
          '--input',
          writeLines('bad-id.jsonl', [
            PROMPTS[0],
            { ...PROMPTS[0], key: 9, instruction_id_list: ['no:such'] },
          ]),
          '--responses',
          input,
        ],
        /bad-id\.jsonl:2, field instruction_id_list\[0\]: unknown IFEval instruction 'no:such'/,
      ],
      [
        [
          '--input',
          writeLines('bad-kwargs.jsonl', [{ ...PROMPTS[1], kwargs: [{}, { end_phrase: 5 }] }]),
          '--responses',
          input,
        ],
        /bad-kwargs\.jsonl:1, field kwargs\[1\]\.end_phrase: /,
      ],
      [
        [
          '--input',
          input,
          '--responses',
          writeLines('bad-key.jsonl', [
            { key: 1, response: 'x' },
            { key: 42, response: 'y' },
          ]),
        ],
        /bad-key\.jsonl:2, field key: response matches no prompt/,
      ],
      [
        ['--input', input, '--responses', writeLines('no-response.jsonl', [{ key: 1 }])],
        /no-response\.jsonl:1, field response: expected a `response` field/,
      ],
      [
        [
          '--input',
          input,
          '--responses',
          writeLines('twice.jsonl', [
            { key: 1, response: 'a' },
            { key: 1, response: 'b' },
          ]),
        ],
        /twice\.jsonl:2: a second response to the prompt already answered on line 1/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = anchorage('ifeval', ...args, '--out', 'bad-out');
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
  });

  it('reproduces the reference labels on the paper GPT-4 responses', () => {
    const r = anchorage(
      'ifeval',
      '--input',
      join(dataDir, 'input_data_key2785_original_variant.jsonl'),
      '--responses',
      join(dataDir, 'input_response_data_gpt4_20231107_145030.jsonl'),
      '--out',
      'gpt4',
      '--json',
    );
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout) as { prompts: number; strict: { instructions: number } };
    assert.equal(summary.prompts, 541);
    assert.equal(summary.strict.instructions, 834);
    const labels = readFileSync(join(dataDir, 'gpt4_reference_labels_541.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            prompt: string;
            strict: boolean[];
            loose: boolean[];
            reference_nondeterministic: boolean[];
          },
      );
    const byPrompt = new Map(labels.map((l) => [l.prompt, l]));
    for (const mode of ['strict', 'loose'] as const) {
      const file = join(work, `gpt4/eval_results_${mode}.jsonl`);
      assert.ok(existsSync(file));
      const rows = readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      assert.equal(rows.length, 541);
      for (const row of rows) {
        const label = byPrompt.get(row.prompt)!;
        const keep = (_: boolean, i: number) => !label.reference_nondeterministic[i];
        assert.deepEqual(
          row.follow_instruction_list.filter(keep),
          label[mode].filter(keep),
          `${mode}: ${row.prompt}`,
        );
      }
    }
  });
});
