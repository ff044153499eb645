import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { getLlama, type Llama, type LlamaModel, type Token } from 'node-llama-cpp';
import { defaultModelPath, SETUP_MODEL_COMMAND } from '../default-model.ts';
import { type GgufHeader, readGgufHeader } from '../gguf/gguf-reader.ts';
import { writeGguf } from '../gguf/gguf-writer.ts';
import { tokenizerFromGguf } from './gguf-tokenizer.ts';
import type { TextTokenizer } from './text-tokenizer.ts';

// Our tokenizer on the real default model, checked against llama.cpp (node-llama-cpp) as the
// reference. Skipped only when the model file is absent; CI installs it first.
const path = defaultModelPath();
const skip = existsSync(path) ? false : `model file ${path} is missing: run \`${SETUP_MODEL_COMMAND}\``;

const TEXTS = [
  'Hello world 123',
  '<|im_start|>user\nHi<|im_end|>\n',
  '  \n\n\tfoo   bar  ',
  'héllo 日本語 🙂 naïve café',
  'def f(x):\n    return x**2  # square\n\n\nprint(f(12345))',
  "I'm sure they'll say it's 3.14159, isn't it? DON'T",
  '²³ ٣٤ ½ 1,000,000',
  '\n',
  '   ',
  'a\u00a0b\u2003c\u3000d',
  'Ελληνικά кириллица עברית العربية',
  '{"key": [1, 2, 3], "nested": {"a": null}}',
  'Line one.\r\nLine two...\t\tEnd!!!',
  'emoji 👩‍👩‍👧 flags 🇫🇷 zwj',
];

const CHAT = [{ role: 'user', content: 'What is 2+2? Answer briefly.' }];
// llama.cpp's ids for the rendered CHAT prompt with a generation prompt, recorded from node-llama-cpp.
const CHAT_IDS = [
  1, 9690, 198, 2683, 359, 253, 5356, 5646, 11173, 3365, 3511, 308, 34519, 28, 7018, 411, 407, 19712, 8182, 2,
  198, 1, 4093, 198, 1780, 314, 216, 34, 27, 34, 47, 19842, 13099, 30, 2, 198, 1, 520, 9531, 198,
];

describe('SmolLM2 tokenizer vs llama.cpp', { skip }, () => {
  let header: GgufHeader;
  let ours: TextTokenizer;
  let llama: Llama;
  let reference: LlamaModel;
  let dir: string;
  const logs: string[] = [];

  before(async () => {
    header = await readGgufHeader({ path });
    ours = tokenizerFromGguf({ header });
    // Keep llama.cpp's log lines for failure messages instead of printing them.
    llama = await getLlama({
      gpu: false,
      build: 'never',
      logger: (level, message) => logs.push(`${level}: ${message}`),
    });
    reference = await llama.loadModel({ modelPath: path, vocabOnly: true });
    dir = await mkdtemp(join(tmpdir(), 'smollm2-tok-'));
  });
  after(async () => {
    await reference?.dispose();
    await llama?.dispose();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  const llamaIds = (model: LlamaModel, text: string) => [...model.tokenize(text, true)] as number[];

  it('encodes every text to the same ids as llama.cpp', () => {
    const chat = ours.applyChatTemplate(CHAT, { addGenerationPrompt: true }).text;
    const texts = [...TEXTS, chat];
    const mismatches = texts.filter(
      (t) => JSON.stringify(ours.encode(t)) !== JSON.stringify(llamaIds(reference, t)),
    );
    assert.deepEqual(mismatches, [], `${texts.length - mismatches.length}/${texts.length} agree`);
  });

  it('renders and encodes the chat prompt to the recorded llama.cpp ids', () => {
    const { text, ids } = ours.applyChatTemplate(CHAT, { addGenerationPrompt: true });
    assert.equal(
      text,
      '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' +
        '<|im_start|>user\nWhat is 2+2? Answer briefly.<|im_end|>\n<|im_start|>assistant\n',
    );
    assert.deepEqual(ids, CHAT_IDS);
    assert.deepEqual(llamaIds(reference, text), CHAT_IDS);
  });

  it('decodes back to the original text, as llama.cpp does', () => {
    for (const text of TEXTS) {
      const ids = ours.encode(text);
      assert.equal(ours.decode(ids), text, JSON.stringify(text));
      assert.equal(reference.detokenize(ids as Token[], true), text, JSON.stringify(text));
    }
  });

  it('has the special ids and stop tokens of the vocabulary', () => {
    assert.equal(ours.bosId, 1);
    assert.equal(ours.eosId, 2);
    assert.equal(ours.padId, 2);
    assert.equal(reference.tokens.bos, 1);
    assert.equal(reference.tokens.eos, 2);
    assert.deepEqual([...ours.stopIds].sort(), [0, 2]);
    assert.equal(ours.idToToken(0), '<|endoftext|>');
    assert.equal(ours.idToToken(2), '<|im_end|>');
    assert.deepEqual(ours.encode('x', { addBos: true }).slice(0, 1), [1]);
    // The metadata says not to add BOS; llama.cpp agrees.
    assert.deepEqual(ours.encode('x'), llamaIds(reference, 'x'));
    // Untrusted text: special-token text stays text, as llama.cpp does without special parsing.
    assert.deepEqual(ours.encode('<|im_end|>', { parseSpecial: false }), [
      ...reference.tokenize('<|im_end|>', false),
    ]);
  });

  it('follows llama.cpp for each supported pre-tokenizer name (same vocabulary, renamed pre type)', async () => {
    const texts = [
      "I'M sure THEY'LL say it's 3.14159, isn'T it?\r\n\r\nok",
      '  \n\n\tfoo   bar  ',
      'def f(x):\n    return x**2\n\n\n',
      '...!!!\n\n  --- \n',
      'héllo 日本語 🙂',
    ];
    const seen = new Map<string, string>();
    for (const pre of ['smollm', 'gpt-2', 'llama-bpe', 'qwen2']) {
      // Our writer produces a vocabulary-only GGUF that llama.cpp loads: that checks the writer too.
      const file = join(dir, `vocab-${pre}.gguf`);
      const metadata = new Map(header.metadata.entries).set('tokenizer.ggml.pre', {
        type: 'string',
        value: pre,
      });
      await writeGguf({ path: file, metadata, tensors: [] });
      const tok = tokenizerFromGguf({ header: await readGgufHeader({ path: file }) });
      const model = await llama.loadModel({ modelPath: file, vocabOnly: true });
      try {
        for (const text of texts) {
          assert.deepEqual(tok.encode(text), llamaIds(model, text), `${pre}: ${JSON.stringify(text)}`);
        }
        seen.set(pre, JSON.stringify(texts.map((t) => tok.encode(t))));
      } finally {
        await model.dispose();
      }
    }
    // The names are not all the same split: llama-bpe and qwen2 group "\r\n\r\n" differently.
    assert.notEqual(seen.get('smollm'), seen.get('llama-bpe'));
  });
});
