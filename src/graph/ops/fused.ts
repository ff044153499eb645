import { ValidationError } from '../../util/errors.ts';
import { type Dim, dimSum, freshDim, normAxis } from '../dims.ts';
import type { OpDef, OutputSpec } from '../ir.ts';
import { floatAttr, inferSame, input, intAttr, optionalInput, requireDtype, sameDtype } from './common.ts';

/**
 * Opset-23 fused ops for inference graphs (generation with a KV cache). They have no gradient rule:
 * a graph that must be differentiated builds attention, RMSNorm and RoPE from primitives
 * (`g.rmsNorm`, matmul + softmax), which is also what float64 finite-difference checks need
 * because RotaryEmbedding has no float64 kernel in ONNX Runtime.
 */
const FLOATS = ['float32', 'float64'] as const;

/** Per-head size: `total / heads` when both are numbers. */
function perHead(total: Dim, heads: number): Dim {
  if (typeof total === 'number') return total / heads;
  return freshDim();
}

export const FUSED_OPS: OpDef[] = [
  {
    // y = x / sqrt(mean(x², axes >= axis) + epsilon) * scale
    name: 'RMSNormalization',
    attrs: { axis: 'int', epsilon: 'float', stash_type: 'int' },
    infer: (args) => {
      const [x, scale] = [input(args, 0), input(args, 1)];
      sameDtype([x, scale], args.where);
      requireDtype(x, FLOATS, args.where);
      normAxis(intAttr(args.attrs, 'axis', -1), x.shape.length, args.where);
      floatAttr(args.attrs, 'epsilon', 1e-5);
      return [{ dtype: x.dtype, shape: x.shape }];
    },
  },
  {
    // Rotary position embedding; 4-D input [B, H, S, D] or 3-D [B, S, H*D] with num_heads.
    name: 'RotaryEmbedding',
    attrs: { interleaved: 'int', num_heads: 'int', rotary_embedding_dim: 'int' },
    infer: inferSame,
  },
  {
    // Scaled dot-product attention with grouped KV heads, optional mask and past KV cache.
    // Inputs Q, K, V, attn_mask?, past_key?, past_value?; outputs Y, present_key?, present_value?.
    name: 'Attention',
    attrs: {
      is_causal: 'int',
      kv_num_heads: 'int',
      q_num_heads: 'int',
      qk_matmul_output_mode: 'int',
      scale: 'float',
      softcap: 'float',
      softmax_precision: 'int',
    },
    infer: (args) => {
      const [q, k, v] = [input(args, 0), input(args, 1), input(args, 2)];
      const dtype = sameDtype([q, k, v], args.where);
      requireDtype(q, FLOATS, args.where);
      const pastKey = optionalInput(args, 4);
      const rank = q.shape.length;
      let y: Dim[];
      let present: { key: Dim[]; value: Dim[] };
      let qk: Dim[];
      if (rank === 4) {
        const [b, hq, s] = q.shape as Dim[];
        const [, hk, l, d] = k.shape as Dim[];
        const dv = v.shape[3] as Dim;
        const total = pastKey === undefined ? (l as Dim) : dimSum([pastKey.shape[2] as Dim, l as Dim]);
        y = [b as Dim, hq as Dim, s as Dim, dv];
        present = { key: [b as Dim, hk as Dim, total, d as Dim], value: [b as Dim, hk as Dim, total, dv] };
        qk = [b as Dim, hq as Dim, s as Dim, total];
      } else if (rank === 3) {
        const qHeads = intAttr(args.attrs, 'q_num_heads', 0);
        const kvHeads = intAttr(args.attrs, 'kv_num_heads', 0);
        if (qHeads <= 0 || kvHeads <= 0) {
          throw new ValidationError(`${args.where}: 3-D attention needs q_num_heads and kv_num_heads`);
        }
        const [b, s] = q.shape as Dim[];
        const [, l, kw] = k.shape as Dim[];
        const vw = v.shape[2] as Dim;
        const dv = perHead(vw, kvHeads);
        const total = pastKey === undefined ? (l as Dim) : dimSum([pastKey.shape[2] as Dim, l as Dim]);
        y = [b as Dim, s as Dim, typeof dv === 'number' ? dv * qHeads : freshDim()];
        present = {
          key: [b as Dim, kvHeads, total, perHead(kw as Dim, kvHeads)],
          value: [b as Dim, kvHeads, total, dv],
        };
        qk = [b as Dim, qHeads, s as Dim, total];
      } else {
        throw new ValidationError(`${args.where}: Q must be 3-D or 4-D, got rank ${rank}`);
      }
      const outs: OutputSpec[] = [
        { dtype, shape: y },
        { dtype, shape: present.key },
        { dtype, shape: present.value },
        { dtype, shape: qk },
      ];
      return outs;
    },
  },
];
