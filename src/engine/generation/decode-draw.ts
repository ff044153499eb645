import type { InferenceSession } from 'onnxruntime-node';
import { GENERATION_IO as IO } from '../../models/llama/generation-graph.ts';
import { sampleCandidates } from '../sampling/sample-candidates.ts';
import { sampleToken, type TokenDraw } from '../sampling/sample-token.ts';
import type { DrawMode, DrawPlan } from './draw-plan.ts';
import type { DrawParams } from './generation-types.ts';

/** What one row's draw needs besides the step's outputs. */
export interface RowDraw {
  /** The row in the step's batch. */
  b: number;
  plan: DrawPlan;
  params: DrawParams;
  /** The row's uniform for this token. */
  u: number;
  vocab: number;
  /** The logits row to draw from ('full-row' mode): masked for a constrained sequence. */
  row: (logits: Float32Array) => Float32Array;
}

/** Per draw mode: the outputs a decode step fetches, and how row b's token is drawn from them. */
interface DecodeDraw {
  fetches: readonly string[];
  draw(out: InferenceSession.ReturnType, d: RowDraw): TokenDraw;
}

const data = (out: InferenceSession.ReturnType, name: string) => out[name]?.data;
const logsumexpOf = (out: InferenceSession.ReturnType, b: number) =>
  (data(out, IO.logsumexp) as Float32Array)[b] as number;

const DECODE_DRAWS: Record<DrawMode, DecodeDraw> = {
  // The graph drew the token: read it and its log-probs.
  graph: {
    fetches: [IO.token, IO.tokenLogprob, IO.samplingLogprob],
    draw: (out, { b }) => ({
      token: Number((data(out, IO.token) as BigInt64Array)[b]),
      logprob: (data(out, IO.tokenLogprob) as Float32Array)[b] as number,
      samplingLogprob: (data(out, IO.samplingLogprob) as Float32Array)[b] as number,
    }),
  },
  // The graph returned the top k candidates: top-p and the draw among them.
  'top-k': {
    fetches: [IO.topKValues, IO.topKIndices, IO.logsumexp],
    draw: (out, { b, plan, params, u }) => {
      const k = plan.topK;
      return sampleCandidates({
        values: (data(out, IO.topKValues) as Float32Array).subarray(b * k, (b + 1) * k),
        ids: (data(out, IO.topKIndices) as BigInt64Array).subarray(b * k, (b + 1) * k),
        temperature: params.temperature,
        topP: params.topP,
        u,
        logsumexp: logsumexpOf(out, b),
      });
    },
  },
  // The whole logits row, drawn in JavaScript.
  'full-row': {
    fetches: [IO.logits, IO.logsumexp],
    draw: (out, { b, params, u, vocab, row }) =>
      sampleToken({
        logits: row((data(out, IO.logits) as Float32Array).subarray(b * vocab, (b + 1) * vocab)),
        temperature: params.temperature,
        topP: params.topP,
        topK: params.topK,
        u,
        logsumexp: logsumexpOf(out, b),
      }),
  },
};

/** The outputs a decode step fetches for `plan` (as ONNX Runtime fetches: name -> null). */
export function decodeFetches(plan: DrawPlan): Record<string, null> {
  return Object.fromEntries(DECODE_DRAWS[plan.mode].fetches.map((name) => [name, null]));
}

/** Row b's draw from a decode step's fetched outputs. */
export function drawFromOutputs(out: InferenceSession.ReturnType, d: RowDraw): TokenDraw {
  return DECODE_DRAWS[d.plan.mode].draw(out, d);
}
