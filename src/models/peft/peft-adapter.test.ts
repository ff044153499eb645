import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { initLoraState } from '../../engine/lora-state.ts';
import { createRng } from '../../graph/random.ts';
import { LoraConfigSchema } from '../llama/lora.ts';
import { tinyConfig } from '../llama/testing/tiny-llama.ts';
import {
  type AdapterTensors,
  decodePeftAdapter,
  encodePeftAdapter,
  type TensorSource,
} from './peft-adapter.ts';

function adapters(architecture: 'llama' | 'qwen2', targets?: string[]): AdapterTensors {
  const model = tinyConfig({ architecture });
  const lora = LoraConfigSchema.parse({ rank: 2, alpha: 6, ...(targets === undefined ? {} : { targets }) });
  const state = initLoraState({ model, lora, seed: 3 });
  const rng = createRng(8);
  for (const [name, t] of state.tensors) {
    if (name.endsWith('lora_b')) for (let i = 0; i < t.length; i++) t[i] = rng.normal();
  }
  return state;
}

/** The encoded tensors as a source to decode, optionally edited first. */
function asSource(tensors: ReturnType<typeof encodePeftAdapter>['tensors']): TensorSource & {
  map: Map<string, { shape: readonly number[]; data: Float32Array }>;
} {
  const map = new Map(tensors.map((t) => [t.name, { shape: t.shape, data: t.data }]));
  return {
    file: '/x/adapter_model.safetensors',
    map,
    get shapes() {
      return new Map([...map].map(([n, t]) => [n, t.shape]));
    },
    tensor: (name) => map.get(name)!.data,
  };
}

describe('PEFT adapter layout', () => {
  it('names, shapes and config follow PEFT; decoding gives the adapters back exactly', () => {
    for (const architecture of ['llama', 'qwen2'] as const) {
      const model = tinyConfig({ architecture });
      const ours = adapters(architecture);
      const { config, tensors } = encodePeftAdapter({ model, adapters: ours, baseModel: 'tiny' });
      assert.equal(config.r, 2);
      assert.equal(config.lora_alpha, 6);
      assert.deepEqual(config.target_modules, [
        'q_proj',
        'k_proj',
        'v_proj',
        'o_proj',
        'gate_proj',
        'up_proj',
        'down_proj',
      ]);
      assert.equal(config['base_model_name_or_path'], 'tiny');
      const byName = new Map(tensors.map((t) => [t.name, t]));
      assert.equal(byName.size, 2 * 7 * model.numLayers);
      const qA = byName.get('base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight');
      const qB = byName.get('base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight');
      const down = byName.get('base_model.model.model.layers.0.mlp.down_proj.lora_B.weight');
      assert.deepEqual(qA?.shape, [2, model.hiddenSize]);
      assert.deepEqual(qB?.shape, [model.numHeads * model.headDim, 2]);
      assert.deepEqual(down?.shape, [model.hiddenSize, 2]);
      // A keeps its values; q's B rows move only for the adjacent-pair (llama GGUF) layout.
      assert.deepEqual(qA?.data, ours.tensors.get('blk.1.attn_q.lora_a'));
      const sameB = qB?.data.every((v, i) => v === ours.tensors.get('blk.1.attn_q.lora_b')![i]);
      assert.equal(sameB, architecture === 'qwen2', architecture);
      assert.deepEqual(down?.data, ours.tensors.get('blk.0.ffn_down.lora_b'));

      const back = decodePeftAdapter({
        model,
        configJson: config,
        configFile: '/x/adapter_config.json',
        weights: asSource(tensors),
      });
      assert.deepEqual(back.config, ours.config);
      for (const [name, t] of ours.tensors) assert.deepEqual(back.tensors.get(name), t, name);
    }
  });

  it('a subset of targets round-trips; settings PEFT has and we do not are named', () => {
    const model = tinyConfig();
    const ours = adapters('llama', ['v', 'down']);
    const { config, tensors } = encodePeftAdapter({ model, adapters: ours, baseModel: 'tiny' });
    assert.deepEqual(config.target_modules, ['v_proj', 'down_proj']);
    const decode = (configJson: unknown, weights = asSource(tensors)) =>
      decodePeftAdapter({ model, configJson, configFile: '/x/adapter_config.json', weights });
    assert.deepEqual(decode(config).config.targets, ['v', 'down']);
    const cases: [Record<string, unknown>, RegExp][] = [
      [
        { use_rslora: true },
        /adapter_config\.json, field use_rslora: expected false: rank-stabilised scaling/,
      ],
      [{ use_dora: true }, /field use_dora: expected false: DoRA/],
      [{ peft_type: 'IA3' }, /field peft_type: expected "LORA"/],
      [{ target_modules: '.*proj' }, /field target_modules: expected a list of module names/],
      [
        { target_modules: ['v_proj', 'lm_head'] },
        /field target_modules.1: unknown module 'lm_head'; known: q_proj/,
      ],
      [{ rank_pattern: { 'layers.0': 4 } }, /field rank_pattern: per-layer ranks are not supported/],
      [{ layers_to_transform: [0] }, /field layers_to_transform: expected null/],
      [{ bias: 'all' }, /field bias: expected "none"/],
    ];
    for (const [change, message] of cases) assert.throws(() => decode({ ...config, ...change }), message);
  });

  it('an adapter for another base model is named by its tensors', () => {
    const model = tinyConfig();
    const { config, tensors } = encodePeftAdapter({
      model,
      adapters: adapters('llama', ['v']),
      baseModel: 'tiny',
    });
    const wider = { ...model, hiddenSize: 80, numHeads: 5 };
    assert.throws(
      () =>
        decodePeftAdapter({ model: wider, configJson: config, configFile: 'c', weights: asSource(tensors) }),
      /adapter_model\.safetensors: tensor 'base_model\.model\.model\.layers\.0\.self_attn\.v_proj\.lora_A\.weight' has shape \[2,64\], the model needs \[2,80\]: an adapter for another base model\?/,
    );
    const deeper = { ...model, numLayers: 1 };
    assert.throws(
      () =>
        decodePeftAdapter({ model: deeper, configJson: config, configFile: 'c', weights: asSource(tensors) }),
      /tensors the model has no place for: base_model\.model\.model\.layers\.1\.self_attn\.v_proj\.lora_A\.weight/,
    );
    const source = asSource(tensors);
    source.map.delete('base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight');
    assert.throws(
      () => decodePeftAdapter({ model, configJson: config, configFile: 'c', weights: source }),
      /tensor 'base_model\.model\.model\.layers\.1\.self_attn\.v_proj\.lora_B\.weight' is missing/,
    );
  });
});
