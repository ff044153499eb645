/**
 * How fast a lost worker must be noticed: the deployment's timeouts, shared by the training and
 * rubric-generation workflows, their activity presets and the CLI. Workflow-safe: no imports.
 */

/** Timeouts that depend on the deployment (how fast a lost worker must be noticed). */
export interface Timing {
  /** Heartbeat timeout of every activity: a worker silent this long is presumed dead and its work retried. */
  heartbeatTimeoutSeconds: number;
}

/**
 * 10 s: activities heartbeat at least every 2 s (a third of the timeout when shorter) and the SDK
 * sends at least every 3 s (HEARTBEAT_THROTTLE_MS), so a live worker misses the timeout only if
 * its event loop stalls for about 6 s; ONNX sessions run in worker threads, so engine runs do not
 * stall it. Overridden per run (`anchorage train --heartbeat-timeout`, the workflow input).
 */
export const DEFAULT_TIMING: Timing = { heartbeatTimeoutSeconds: 10 };
