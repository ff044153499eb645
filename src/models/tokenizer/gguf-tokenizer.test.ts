import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { GgufValue } from '../gguf/gguf-metadata.ts';
import { type GgufHeader, readGgufHeader } from '../gguf/gguf-reader.ts';
import { writeGguf } from '../gguf/gguf-writer.ts';
import { tokenizerFromGguf, tokenizerJsonFromGguf } from './gguf-tokenizer.ts';

/** GPT-2's reversible byte → printable character map, written out from its definition. */
function byteChars(): string[] {
  const keep = (b: number) =>
    (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const out: string[] = [];
  let next = 256;
  for (let b = 0; b < 256; b++) out.push(String.fromCodePoint(keep(b) ? b : next++));
  return out;
}

const BYTES = byteChars();
const SPECIALS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'];
const TOKENS = [...SPECIALS, '<tool>', ...BYTES, 'he', 'Ġt', 'Ġthe'];
const id = (token: string) => TOKENS.indexOf(token);
const TEMPLATE =
  "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

function metadata(overrides: [string, GgufValue][] = []): Map<string, GgufValue> {
  const types = TOKENS.map((t) => (SPECIALS.includes(t) ? 3 : t === '<tool>' ? 4 : 1));
  return new Map<string, GgufValue>([
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['tokenizer.ggml.model', { type: 'string', value: 'gpt2' }],
    ['tokenizer.ggml.pre', { type: 'string', value: 'smollm' }],
    ['tokenizer.ggml.tokens', { type: 'array', itemType: 'string', items: TOKENS }],
    ['tokenizer.ggml.token_type', { type: 'array', itemType: 'i32', items: types }],
    ['tokenizer.ggml.merges', { type: 'array', itemType: 'string', items: ['h e', 'Ġ t', 'Ġt he'] }],
    ['tokenizer.ggml.bos_token_id', { type: 'u32', value: 1 }],
    ['tokenizer.ggml.eos_token_id', { type: 'u32', value: 2 }],
    ['tokenizer.ggml.padding_token_id', { type: 'u32', value: 2 }],
    ['tokenizer.chat_template', { type: 'string', value: TEMPLATE }],
    ...overrides,
  ]);
}

let dir: string;
let header: GgufHeader;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tok-test-'));
  header = await writeAndRead('vocab.gguf', metadata());
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeAndRead(name: string, meta: Map<string, GgufValue>): Promise<GgufHeader> {
  const path = join(dir, name);
  await writeGguf({ path, metadata: meta, tensors: [] });
  return readGgufHeader({ path });
}

describe('tokenizer from GGUF metadata', () => {
  it('applies merges in rank order within pre-tokenized words', () => {
    const tok = tokenizerFromGguf({ header });
    // "the" → t,h,e → (h e) → t,he. " the" → Ġ,t,h,e → (h e) → (Ġ t) → (Ġt he) → Ġthe.
    assert.deepEqual(tok.encode('the the'), [id('t'), id('he'), id('Ġthe')]);
    // Digits are split one by one before BPE; a newline is its byte character Ċ.
    assert.deepEqual(tok.encode('12\n'), [id('1'), id('2'), id('Ċ')]);
  });

  it('parses special tokens unless told not to; user-defined tokens always', () => {
    const tok = tokenizerFromGguf({ header });
    assert.deepEqual(tok.encode('<|im_start|>the'), [1, id('t'), id('he')]);
    const plain = tok.encode('<|im_end|>', { parseSpecial: false });
    assert.deepEqual(plain.map((i) => tok.idToToken(i)).join(''), '<|im_end|>');
    assert.ok(!plain.includes(2));
    assert.deepEqual(tok.encode('<tool>x', { parseSpecial: false }), [id('<tool>'), id('x')]);
  });

  it('adds BOS on request and reports the special ids and stop tokens', () => {
    const tok = tokenizerFromGguf({ header });
    assert.deepEqual(tok.encode('x'), [id('x')]);
    assert.deepEqual(tok.encode('x', { addBos: true }), [1, id('x')]);
    assert.equal(tok.bosId, 1);
    assert.equal(tok.eosId, 2);
    assert.equal(tok.padId, 2);
    assert.deepEqual([...tok.stopIds].sort(), [0, 2]);
    assert.equal(tok.vocabSize, TOKENS.length);
  });

  it('decodes bytes back to text, with or without special tokens', () => {
    const tok = tokenizerFromGguf({ header });
    const text = 'the café ✓\n\n  x';
    const ids = tok.encode(text);
    // One token per UTF-8 byte (é is two, ✓ three), except 'he', the only merge that applies.
    assert.equal(ids.length, new TextEncoder().encode(text).length - 1);
    assert.equal(tok.decode(ids), text);
    assert.equal(tok.decode([1, ...tok.encode('hi'), 2]), '<|im_start|>hi<|im_end|>');
    assert.equal(tok.decode([1, ...tok.encode('hi'), 2], { skipSpecial: true }), 'hi');
    assert.equal(tok.decode([]), '');
    assert.throws(
      () => tok.decode([TOKENS.length]),
      /vocab\.gguf: token id 263 is outside the vocabulary \(0-262\)/,
    );
  });

  it('renders the chat template and encodes it with special tokens', () => {
    const tok = tokenizerFromGguf({ header });
    const { text, ids } = tok.applyChatTemplate([{ role: 'user', content: 'the' }], {
      addGenerationPrompt: true,
    });
    assert.equal(text, '<|im_start|>user\nthe<|im_end|>\n<|im_start|>assistant\n');
    assert.deepEqual(ids.slice(0, 1), [1]);
    assert.deepEqual(
      ids.filter((i) => i === 1 || i === 2),
      [1, 2, 1],
    );
    assert.equal(tok.decode(ids), text);
    const noPrompt = tok.applyChatTemplate([{ role: 'user', content: 'x' }], { addGenerationPrompt: false });
    assert.equal(noPrompt.text, '<|im_start|>user\nx<|im_end|>\n');
  });

  it('builds a tokenizer.json with byte-level BPE, merges as pairs and added tokens', () => {
    const json = tokenizerJsonFromGguf({ header });
    const model = json['model'] as {
      type: string;
      merges: [string, string][];
      vocab: Record<string, number>;
    };
    assert.equal(model.type, 'BPE');
    assert.deepEqual(model.merges, [
      ['h', 'e'],
      ['Ġ', 't'],
      ['Ġt', 'he'],
    ]);
    assert.equal(model.vocab['Ġthe'], TOKENS.length - 1);
    const added = json['added_tokens'] as { id: number; special: boolean }[];
    assert.deepEqual(
      added.map((t) => [t.id, t.special]),
      [
        [0, true],
        [1, true],
        [2, true],
        [3, false],
      ],
    );
  });

  it('fails clearly on vocabularies and settings it cannot build', async () => {
    const spm = await writeAndRead(
      'spm.gguf',
      metadata([['tokenizer.ggml.model', { type: 'string', value: 'llama' }]]),
    );
    assert.throws(
      () => tokenizerFromGguf({ header: spm }),
      /spm\.gguf, field tokenizer\.ggml\.model: expected "gpt2"/,
    );
    const pre = await writeAndRead(
      'pre.gguf',
      metadata([['tokenizer.ggml.pre', { type: 'string', value: 'mystery' }]]),
    );
    assert.throws(
      () => tokenizerFromGguf({ header: pre }),
      /unknown tokenizer\.ggml\.pre type 'mystery'; known: .*smollm/,
    );
    const bos = await writeAndRead(
      'bos.gguf',
      metadata([['tokenizer.ggml.bos_token_id', { type: 'u32', value: 999 }]]),
    );
    assert.throws(
      () => tokenizerFromGguf({ header: bos }),
      /bos\.gguf, field tokenizer\.ggml\.bos_token_id: token id 999 is outside the vocabulary of 263/,
    );
    const tpl = await writeAndRead(
      'tpl.gguf',
      metadata([['tokenizer.chat_template', { type: 'string', value: '{% for %}' }]]),
    );
    assert.throws(
      () => tokenizerFromGguf({ header: tpl }),
      /tpl\.gguf, field chat_template: cannot parse the chat template/,
    );
  });
});
