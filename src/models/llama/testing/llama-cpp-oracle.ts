import { getLlama, type Llama, type LlamaContext, type LlamaModel, type Token } from 'node-llama-cpp';

/**
 * llama.cpp (through node-llama-cpp) as an independent oracle: raw logits at every position of a
 * token sequence, and greedy continuations. An F32 KV cache and no flash attention keep it exact
 * enough to compare with an F32 model to ~1e-5 (an F16 cache would not).
 */
export interface LlamaCppOracle {
  /** Logits after each token of `tokens`, [tokens.length][V]; the history is cleared first. */
  logits(tokens: readonly number[]): Promise<Float32Array[]>;
  /** The top-1 token after each token of `tokens` (cheaper than full logits). */
  topTokens(tokens: readonly number[]): Promise<number[]>;
  /**
   * `steps` greedy tokens after `prompt`, with the logits that chose each one, and the logits at
   * every prompt position (the last of which chose the first token).
   */
  greedy(
    prompt: readonly number[],
    steps: number,
  ): Promise<{ tokens: number[]; logits: Float32Array[]; promptLogits: Float32Array[] }>;
  dispose(): Promise<void>;
}

export async function openLlamaCpp(options: {
  modelPath: string;
  contextSize: number;
  vocabSize: number;
  threads?: number;
}): Promise<LlamaCppOracle> {
  const logs: string[] = [];
  const llama: Llama = await getLlama({
    gpu: false,
    build: 'never',
    logger: (level, message) => logs.push(`${level}: ${message}`),
  });
  let model: LlamaModel | undefined;
  let context: LlamaContext | undefined;
  try {
    model = await llama.loadModel({ modelPath: options.modelPath, gpuLayers: 0 });
    context = await model.createContext({
      contextSize: options.contextSize,
      batchSize: options.contextSize,
      sequences: 1,
      flashAttention: false,
      threads: options.threads ?? 1,
      experimentalKvCacheKeyType: 'F32',
      experimentalKvCacheValueType: 'F32',
    });
  } catch (err) {
    await model?.dispose();
    await llama.dispose();
    throw new Error(
      `llama.cpp could not load ${options.modelPath}: ${String(err)}\n${logs.slice(-10).join('\n')}`,
    );
  }
  const sequence = context.getSequence();
  const toArray = (map: Map<Token, number> | undefined): Float32Array => {
    if (map === undefined) throw new Error('llama.cpp returned no logits');
    const out = new Float32Array(options.vocabSize);
    for (const [token, value] of map) out[token] = value;
    return out;
  };
  const evaluate = async (tokens: readonly number[]) => {
    const results = await sequence.controlledEvaluate(
      tokens.map((t) => [t as Token, { generateNext: { logits: true } }] as const),
    );
    return results.map((r) => toArray(r?.next.logits));
  };
  const argmax = (x: Float32Array) => x.reduce((best, v, i) => (v > (x[best] as number) ? i : best), 0);
  return {
    async logits(tokens) {
      await sequence.clearHistory();
      return evaluate(tokens);
    },
    async topTokens(tokens) {
      await sequence.clearHistory();
      const results = await sequence.controlledEvaluate(
        tokens.map(
          (t) =>
            [t as Token, { generateNext: { logits: { filter: { tokens: [], includeTop: 1 } } } }] as const,
        ),
      );
      return results.map((r) => {
        const top = r?.next.logits?.keys().next().value;
        if (top === undefined) throw new Error('llama.cpp returned no top token');
        return top as number;
      });
    },
    async greedy(prompt, steps) {
      await sequence.clearHistory();
      const logits: Float32Array[] = [];
      const promptLogits = await evaluate(prompt);
      let last = promptLogits.at(-1) as Float32Array;
      const tokens: number[] = [];
      for (let i = 0; i < steps; i++) {
        logits.push(last);
        const next = argmax(last);
        tokens.push(next);
        if (i + 1 < steps) last = (await evaluate([next]))[0] as Float32Array;
      }
      return { tokens, logits, promptLogits };
    },
    async dispose() {
      await context?.dispose();
      await model?.dispose();
      await llama.dispose();
    },
  };
}
