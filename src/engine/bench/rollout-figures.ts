/** Throughput of one rollout benchmark run, ours or a peer's. */
export interface RolloutFigures {
  engine: string;
  threads: number;
  /** Model load and session/context creation. */
  loadMs: number;
  /** Until every sequence has its first new token. */
  prefillMs: number;
  decodeMs: number;
  wallMs: number;
  /** New tokens generated (stop tokens included). */
  newTokens: number;
  /** All new tokens over the whole wall time (prefill included). */
  tokensPerSecond: number;
  /** New tokens after the first, over the decode time. */
  decodeTokensPerSecond: number;
  /** Ours only: time inside ONNX Runtime; the rest of the wall time is sampling, messaging, bookkeeping. */
  runMs?: number;
  /** Ours only: prompt tokens computed (a prompt shared by several samples counts once). */
  prefillTokens?: number;
}
