/**
 * Hugging Face Llama/Qwen parameter names ↔ canonical (GGUF-style) weight names. Per-layer names
 * carry the layer number in the same place on both sides.
 */
const GLOBAL: ReadonlyArray<readonly [hf: string, canonical: string]> = [
  ['model.embed_tokens.weight', 'token_embd.weight'],
  ['model.norm.weight', 'output_norm.weight'],
  ['lm_head.weight', 'output.weight'],
];

const LAYER: ReadonlyArray<readonly [hf: string, canonical: string]> = [
  ['input_layernorm.weight', 'attn_norm.weight'],
  ['self_attn.q_proj.weight', 'attn_q.weight'],
  ['self_attn.k_proj.weight', 'attn_k.weight'],
  ['self_attn.v_proj.weight', 'attn_v.weight'],
  ['self_attn.o_proj.weight', 'attn_output.weight'],
  ['self_attn.q_proj.bias', 'attn_q.bias'],
  ['self_attn.k_proj.bias', 'attn_k.bias'],
  ['self_attn.v_proj.bias', 'attn_v.bias'],
  ['self_attn.q_norm.weight', 'attn_q_norm.weight'],
  ['self_attn.k_norm.weight', 'attn_k_norm.weight'],
  ['post_attention_layernorm.weight', 'ffn_norm.weight'],
  ['mlp.gate_proj.weight', 'ffn_gate.weight'],
  ['mlp.up_proj.weight', 'ffn_up.weight'],
  ['mlp.down_proj.weight', 'ffn_down.weight'],
];

const GLOBAL_TO_CANONICAL = new Map(GLOBAL);
const GLOBAL_TO_HF = new Map(GLOBAL.map(([hf, c]) => [c, hf]));
const LAYER_TO_CANONICAL = new Map(LAYER);
const LAYER_TO_HF = new Map(LAYER.map(([hf, c]) => [c, hf]));

const HF_LAYER = /^model\.layers\.(\d+)\.(.+)$/;
const CANONICAL_LAYER = /^blk\.(\d+)\.(.+)$/;

/** The canonical name of a Hugging Face parameter, or undefined for one the model does not use. */
export function canonicalWeightName(hfName: string): string | undefined {
  const global = GLOBAL_TO_CANONICAL.get(hfName);
  if (global !== undefined) return global;
  const m = HF_LAYER.exec(hfName);
  if (m === null) return undefined;
  const suffix = LAYER_TO_CANONICAL.get(m[2]!);
  return suffix === undefined ? undefined : `blk.${m[1]}.${suffix}`;
}

/** The Hugging Face parameter name of a canonical weight name. */
export function hfWeightName(canonical: string): string | undefined {
  const global = GLOBAL_TO_HF.get(canonical);
  if (global !== undefined) return global;
  const m = CANONICAL_LAYER.exec(canonical);
  if (m === null) return undefined;
  const suffix = LAYER_TO_HF.get(m[2]!);
  return suffix === undefined ? undefined : `model.layers.${m[1]}.${suffix}`;
}
