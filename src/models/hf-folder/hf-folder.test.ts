import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { expectedWeights, type LlamaConfig } from '../config.ts';
import { bf16ToFloat, floatToBf16 } from '../gguf/float16.ts';
import type { GgufValue } from '../gguf/gguf-metadata.ts';
import { openGgufModel } from '../gguf/gguf-source.ts';
import { writeGguf } from '../gguf/gguf-writer.ts';
import { qkRowsToAdjacentPair } from '../gguf/qk-permutation.ts';
import { type SafetensorsWriterTensor, writeSafetensors } from '../safetensors/safetensors-writer.ts';
import { tokenizerFromHfFolder } from '../tokenizer/hf-tokenizer.ts';
import { openHfFolder } from './hf-folder.ts';
import { canonicalWeightName, hfWeightName } from './hf-weight-names.ts';

const HF_CONFIG = {
  architectures: ['LlamaForCausalLM'],
  model_type: 'llama',
  hidden_size: 8,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  num_key_value_heads: 1,
  intermediate_size: 12,
  vocab_size: 262,
  max_position_embeddings: 64,
  rope_theta: 500000,
  rms_norm_eps: 1e-6,
  tie_word_embeddings: true,
  hidden_act: 'silu',
  rope_scaling: null,
  bos_token_id: 0,
  eos_token_id: [1, 2],
  torch_dtype: 'bfloat16',
};

const EXPECTED_CONFIG: LlamaConfig = {
  architecture: 'llama',
  hiddenSize: 8,
  numLayers: 2,
  numHeads: 2,
  numKvHeads: 1,
  headDim: 4,
  ffnSize: 12,
  vocabSize: 262,
  contextLength: 64,
  ropeBase: 500000,
  ropeDim: 4,
  ropeStyle: 'half-split',
  rmsEps: 1e-6,
  tiedEmbeddings: true,
  qkvBias: false,
  qkNorm: false,
  bosTokenId: 0,
  eosTokenId: 1,
};

/** Deterministic pseudo-random values rounded to bfloat16, so BF16 storage keeps them exactly. */
function values(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return bf16ToFloat(floatToBf16(s / 2 ** 30 - 1));
  });
}

function byteChars(): string[] {
  const keep = (b: number) =>
    (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let next = 256;
  return Array.from({ length: 256 }, (_, b) => String.fromCodePoint(keep(b) ? b : next++));
}

const SPECIALS = ['<s>', '</s>', '<|im_end|>'];
const VOCAB = [...SPECIALS, ...byteChars(), 'he', 'Ġthe'].slice(0, 262);

function tokenizerJson(): Record<string, unknown> {
  return {
    version: '1.0',
    added_tokens: SPECIALS.map((content, id) => ({ id, content, special: true, normalized: false })),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [],
      special_tokens: {},
    },
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', vocab: Object.fromEntries(VOCAB.map((t, i) => [t, i])), merges: ['h e'] },
  };
}

let dir: string;
const weights = new Map<string, Float32Array>();
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hf-test-'));
  const shapes = expectedWeights(EXPECTED_CONFIG);
  let seed = 1;
  for (const [name, shape] of shapes)
    weights.set(
      name,
      values(
        shape.reduce((a, b) => a * b, 1),
        seed++,
      ),
    );
  const tensors: SafetensorsWriterTensor[] = [...shapes].map(([name, shape], i) => ({
    name: hfWeightName(name)!,
    shape,
    dtype: i % 2 === 0 ? 'BF16' : 'F32',
    data: weights.get(name)!,
  }));
  // A buffer the model does not use, as old Llama checkpoints carry.
  tensors.push({
    name: 'model.layers.0.self_attn.rotary_emb.inv_freq',
    shape: [2],
    dtype: 'F32',
    data: values(2, 99),
  });
  const sharded = join(dir, 'sharded');
  await mkdir(sharded);
  const half = Math.ceil(tensors.length / 2);
  const shards = [tensors.slice(0, half), tensors.slice(half)];
  const weightMap: Record<string, string> = {};
  for (const [i, shard] of shards.entries()) {
    const file = `model-0000${i + 1}-of-00002.safetensors`;
    await writeSafetensors({ path: join(sharded, file), tensors: shard, metadata: { format: 'pt' } });
    for (const t of shard) weightMap[t.name] = file;
  }
  await writeFile(
    join(sharded, 'model.safetensors.index.json'),
    JSON.stringify({ metadata: {}, weight_map: weightMap }),
  );
  await writeFile(join(sharded, 'config.json'), JSON.stringify(HF_CONFIG));
  await writeFile(join(sharded, 'tokenizer.json'), JSON.stringify(tokenizerJson()));
  await writeFile(
    join(sharded, 'tokenizer_config.json'),
    JSON.stringify({
      bos_token: { content: '<s>', special: true },
      eos_token: '<|im_end|>',
      pad_token: null,
      chat_template: "{% for m in messages %}{{ m['role'] + ': ' + m['content'] + eos_token }}{% endfor %}",
    }),
  );
  const single = join(dir, 'single');
  await mkdir(single);
  await writeSafetensors({ path: join(single, 'model.safetensors'), tensors });
  await writeFile(join(single, 'config.json'), JSON.stringify({ ...HF_CONFIG, tie_word_embeddings: false }));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Hugging Face folder', () => {
  it('maps parameter names both ways', () => {
    assert.equal(canonicalWeightName('model.layers.11.self_attn.o_proj.weight'), 'blk.11.attn_output.weight');
    assert.equal(canonicalWeightName('model.layers.0.mlp.down_proj.weight'), 'blk.0.ffn_down.weight');
    assert.equal(canonicalWeightName('model.embed_tokens.weight'), 'token_embd.weight');
    assert.equal(canonicalWeightName('model.layers.0.self_attn.rotary_emb.inv_freq'), undefined);
    assert.equal(hfWeightName('blk.3.ffn_norm.weight'), 'model.layers.3.post_attention_layernorm.weight');
    assert.equal(hfWeightName('output.weight'), 'lm_head.weight');
    assert.equal(hfWeightName('blk.1.attn_k.bias'), 'model.layers.1.self_attn.k_proj.bias');
  });

  it('loads a sharded checkpoint under canonical names with half-split RoPE', async () => {
    const model = await openHfFolder({ dir: join(dir, 'sharded') });
    assert.deepEqual(model.config, EXPECTED_CONFIG);
    assert.deepEqual(model.ignored, ['model.layers.0.self_attn.rotary_emb.inv_freq']);
    assert.equal(model.weights.size, weights.size);
    assert.deepEqual(model.weights.get('blk.1.attn_k.weight'), {
      name: 'blk.1.attn_k.weight',
      shape: [4, 8],
      storage: 'F32',
    });
    for (const [name, data] of weights) assert.deepEqual(await model.loadWeight(name), data, name);
  });

  it('reports missing weights against config.json', async () => {
    // The single-file copy says the embeddings are not tied but has no lm_head.
    await assert.rejects(
      openHfFolder({ dir: join(dir, 'single') }),
      /single: weights do not match config\.json: missing 'output\.weight'/,
    );
    await assert.rejects(openHfFolder({ dir: join(dir, 'absent') }), /absent\/config\.json: cannot read/);
  });

  it('rejects configs it cannot run, naming the field', async () => {
    const bad = join(dir, 'bad');
    await mkdir(bad, { recursive: true });
    await writeFile(
      join(bad, 'config.json'),
      JSON.stringify({ ...HF_CONFIG, rope_scaling: { rope_type: 'llama3' } }),
    );
    await writeFile(join(bad, 'model.safetensors'), new Uint8Array(0));
    await assert.rejects(openHfFolder({ dir: bad }), /model\.safetensors: truncated file/);
    const { configFromHf } = await import('./hf-config.ts');
    assert.throws(
      () =>
        configFromHf({
          json: { ...HF_CONFIG, rope_scaling: { rope_type: 'llama3' } },
          file: 'c.json',
          hasTensor: () => false,
        }),
      /c\.json, field rope_scaling: .*\(RoPE scaling is not supported\)/,
    );
    assert.throws(
      () =>
        configFromHf({
          json: { ...HF_CONFIG, model_type: 'gpt_neox' },
          file: 'c.json',
          hasTensor: () => false,
        }),
      {
        name: 'ValidationError',
        message:
          "c.json, field model_type: unknown model_type 'gpt_neox'; expected a Llama-family model, one of: llama, qwen2, qwen3",
      },
    );
    assert.throws(
      () =>
        configFromHf({
          json: { ...HF_CONFIG, num_key_value_heads: 3 },
          file: 'c.json',
          hasTensor: () => false,
        }),
      /c\.json, field numKvHeads: model config: numHeads \(2\) must be a multiple of numKvHeads \(3\)/,
    );
  });

  it('reads the tokenizer, special tokens and chat template of the folder', async () => {
    const tok = await tokenizerFromHfFolder({ dir: join(dir, 'sharded') });
    assert.equal(tok.bosId, 0);
    assert.equal(tok.eosId, 2);
    assert.equal(tok.padId, null);
    // The post-processor starts sequences with <s>: BOS is added by default.
    assert.deepEqual(tok.encode('the'), [0, VOCAB.indexOf('t'), VOCAB.indexOf('he')]);
    assert.equal(tok.decode(tok.encode('the café', { addBos: false })), 'the café');
    const chat = tok.applyChatTemplate([{ role: 'user', content: 'hi' }], { addGenerationPrompt: false });
    assert.equal(chat.text, 'user: hi<|im_end|>');
    assert.equal(chat.ids.at(-1), 2);
  });

  it('matches the GGUF of the same model up to the q/k row order and RoPE style', async () => {
    // Convert as llama.cpp does: permute q/k rows for adjacent-pair RoPE, keep the rest.
    const c = EXPECTED_CONFIG;
    const metadata = new Map<string, GgufValue>([
      ['general.architecture', { type: 'string', value: 'llama' }],
      ['llama.context_length', { type: 'u32', value: c.contextLength }],
      ['llama.embedding_length', { type: 'u32', value: c.hiddenSize }],
      ['llama.block_count', { type: 'u32', value: c.numLayers }],
      ['llama.feed_forward_length', { type: 'u32', value: c.ffnSize }],
      ['llama.attention.head_count', { type: 'u32', value: c.numHeads }],
      ['llama.attention.head_count_kv', { type: 'u32', value: c.numKvHeads }],
      ['llama.attention.layer_norm_rms_epsilon', { type: 'f32', value: c.rmsEps }],
      ['llama.rope.freq_base', { type: 'f32', value: c.ropeBase }],
      ['llama.vocab_size', { type: 'u32', value: c.vocabSize }],
      ['tokenizer.ggml.bos_token_id', { type: 'u32', value: 0 }],
      ['tokenizer.ggml.eos_token_id', { type: 'u32', value: 1 }],
    ]);
    const hf = await openHfFolder({ dir: join(dir, 'sharded') });
    const permuted = (name: string, data: Float32Array) => {
      if (/attn_q\.weight$/.test(name))
        return qkRowsToAdjacentPair({ weight: data, heads: c.numHeads, rowLength: c.hiddenSize });
      if (/attn_k\.weight$/.test(name))
        return qkRowsToAdjacentPair({ weight: data, heads: c.numKvHeads, rowLength: c.hiddenSize });
      return data;
    };
    const tensors = await Promise.all(
      [...hf.weights.values()].map(async (w) => ({
        name: w.name,
        shape: w.shape,
        type: 'F32' as const,
        data: permuted(w.name, await hf.loadWeight(w.name)),
      })),
    );
    const path = join(dir, 'same.gguf');
    await writeGguf({ path, metadata, tensors });
    const gguf = await openGgufModel({ path });
    assert.deepEqual(gguf.config, {
      ...EXPECTED_CONFIG,
      ropeStyle: 'adjacent-pair',
      rmsEps: Math.fround(1e-6),
    });
    assert.deepEqual([...gguf.weights.keys()].sort(), [...hf.weights.keys()].sort());
    for (const name of hf.weights.keys()) {
      const expected = permuted(name, await hf.loadWeight(name));
      assert.deepEqual(await gguf.loadWeight(name), expected, name);
    }
  });
});
