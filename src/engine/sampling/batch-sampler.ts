import { ValidationError } from '../../util/errors.ts';
import { uniformAt } from './prng.ts';
import { sampleToken } from './sample-token.ts';
import type { SamplingParams } from './sampling-params.ts';

export type FinishReason = 'stop' | 'length';

/** What sampling produced for one sequence. */
export interface SampledSequence {
  /** New token ids; a stop token, when one ended the sequence, is the last entry. */
  readonly tokenIds: number[];
  /**
   * Per token: log-softmax of the model's logits at temperature 1, the policy's own log-prob (what
   * a policy-gradient loss needs as the old/behaviour log-prob when it trains at temperature 1).
   */
  readonly logprobs: number[];
  /** Per token: log-prob under the distribution actually sampled (temperature, top-k, top-p). */
  readonly samplingLogprobs: number[];
  readonly finishReason: FinishReason;
}

/**
 * Batched sampling state. Each call to `step` draws the next token of the sequences whose logits
 * rows it is given; a sequence finishes on a stop token or after `maxNewTokens`.
 *
 * Randomness: sequence s at its n-th new token uses `uniformAt({ seed, stream: streams[s],
 * counter: n })`. Its draws therefore depend only on the seed, its own stream and its logits, not
 * on batch size, batch order or the other sequences.
 */
export class BatchSampler {
  private readonly tokens: number[][];
  private readonly logprobs: number[][];
  private readonly samplingLogprobs: number[][];
  private readonly finish: (FinishReason | null)[];
  private readonly stops: ReadonlySet<number>;
  private scratch = new Float64Array(0);

  constructor(
    private readonly options: {
      params: SamplingParams;
      /** One stream id per sequence (default: its index). Give each sequence of a run its own. */
      streams?: readonly number[];
      size: number;
      stopIds: readonly number[];
    },
  ) {
    const { size, streams } = options;
    if (streams !== undefined && streams.length !== size) {
      throw new ValidationError(`streams: expected ${size} stream ids, got ${streams.length}`);
    }
    this.tokens = Array.from({ length: size }, () => []);
    this.logprobs = Array.from({ length: size }, () => []);
    this.samplingLogprobs = Array.from({ length: size }, () => []);
    this.finish = Array.from({ length: size }, () => null);
    this.stops = new Set(options.stopIds);
  }

  get size(): number {
    return this.finish.length;
  }

  /** Indices of the sequences still generating. */
  active(): number[] {
    return this.finish.flatMap((f, i) => (f === null ? [i] : []));
  }

  get done(): boolean {
    return this.finish.every((f) => f !== null);
  }

  /**
   * Draws one token for each sequence in `rows` from the matching row of `logits` ([rows, V],
   * row-major), with each row's log Σ exp(logits) when the model gives it (`logsumexp`, [rows]).
   * Returns the drawn ids in row order. Rows of finished sequences are refused.
   */
  step(options: { logits: Float32Array; rows: readonly number[]; logsumexp?: Float32Array }): number[] {
    const { logits, rows } = options;
    if (rows.length === 0) return [];
    const vocab = logits.length / rows.length;
    if (!Number.isInteger(vocab)) {
      throw new ValidationError(`logits hold ${logits.length} values, not a multiple of ${rows.length} rows`);
    }
    if (this.scratch.length < vocab) this.scratch = new Float64Array(vocab);
    const { params } = this.options;
    return rows.map((seq, r) => {
      if (this.finish[seq] !== null || seq < 0 || seq >= this.size) {
        throw new ValidationError(`sequence ${seq} is finished or out of range`);
      }
      const n = (this.tokens[seq] as number[]).length;
      const draw = sampleToken({
        logits: logits.subarray(r * vocab, (r + 1) * vocab),
        temperature: params.temperature,
        topP: params.topP,
        topK: params.topK,
        u: uniformAt({ seed: params.seed, stream: this.options.streams?.[seq] ?? seq, counter: n }),
        scratch: this.scratch,
        ...(options.logsumexp === undefined ? {} : { logsumexp: options.logsumexp[r] as number }),
      });
      (this.tokens[seq] as number[]).push(draw.token);
      (this.logprobs[seq] as number[]).push(draw.logprob);
      (this.samplingLogprobs[seq] as number[]).push(draw.samplingLogprob);
      if (this.stops.has(draw.token)) this.finish[seq] = 'stop';
      else if (n + 1 >= params.maxNewTokens) this.finish[seq] = 'length';
      return draw.token;
    });
  }

  /** Per-sequence results; sequences still running report 'length'. */
  results(): SampledSequence[] {
    return this.finish.map((f, i) => ({
      tokenIds: [...(this.tokens[i] as number[])],
      logprobs: [...(this.logprobs[i] as number[])],
      samplingLogprobs: [...(this.samplingLogprobs[i] as number[])],
      finishReason: f ?? 'length',
    }));
  }
}
