import type { GraphBuilder } from '../graph/builder.ts';
import { emitModel } from '../graph/onnx/model.ts';
import type { LlamaConfig } from '../models/config.ts';
import { buildGenerationGraph } from '../models/llama/generation-graph.ts';
import { buildLogprobGraph } from '../models/llama/logprob-graph.ts';
import type { LoraConfig } from '../models/llama/lora.ts';
import type { QuantizedProjections } from '../models/llama/quant/projection.ts';
import type { WeightTensors } from '../models/llama/weights.ts';
import { buildTrainingGraph, type TrainingGraph } from '../models/llama/training-graph.ts';
import type { PolicyObjective } from '../rl/losses/objective.ts';
import { logger } from '../util/logger.ts';
import type { RemoteSession, SessionHost } from './host/session-host.ts';
import { type LoraState, loraFeeds } from './lora-state.ts';

const log = logger('policy-sessions');

interface Slot<T> {
  key: string;
  session: RemoteSession;
  extra: T;
  /** Adapter version bound to the session (-1: none yet). */
  loraVersion: number;
}

/**
 * The ONNX sessions of one policy, built on first use in its session host. Each kind keeps one
 * session: a graph depends on the LoRA config (and, for training, the objective), so a change
 * there replaces the session; changed adapter values are only re-bound. Frozen base weights are
 * initializers of every graph.
 */
export class PolicySessions {
  private generationSlot: Slot<undefined> | undefined;
  private scoringSlot: Slot<undefined> | undefined;
  private trainingSlot: Slot<TrainingGraph> | undefined;
  private readonly host: SessionHost;
  private readonly config: LlamaConfig;
  private readonly baseWeights: () => Promise<WeightTensors>;
  private readonly quantize: ((weights: WeightTensors) => Promise<QuantizedProjections>) | undefined;

  constructor(options: {
    host: SessionHost;
    config: LlamaConfig;
    /** Reads the frozen base weights (float32) for a session being built; they are not kept. */
    baseWeights: () => Promise<WeightTensors>;
    /** Packs matrices for MatMulNBits in the generation graph (rollout only; scoring and training stay float32). */
    quantize?: ((weights: WeightTensors) => Promise<QuantizedProjections>) | undefined;
  }) {
    this.host = options.host;
    this.config = options.config;
    this.baseWeights = options.baseWeights;
    this.quantize = options.quantize;
  }

  /** The KV-cache generation graph, adapters bound when `lora` is given. */
  async generation(lora: LoraState | undefined, loraVersion: number): Promise<RemoteSession> {
    this.generationSlot = await this.ensure({
      slot: this.generationSlot,
      name: 'generation',
      key: loraKey(lora?.config),
      build: async (weights) => ({
        graph: await this.generationGraph(weights, lora?.config),
        extra: undefined,
      }),
    });
    await this.bindLora(this.generationSlot, lora, loraVersion);
    return this.generationSlot.session;
  }

  /** The log-prob graph; `withLora` says whether it takes `lora_scale` (and adapters). */
  async scoring(
    lora: LoraState | undefined,
    loraVersion: number,
  ): Promise<{ session: RemoteSession; withLora: boolean }> {
    this.scoringSlot = await this.ensure({
      slot: this.scoringSlot,
      name: 'scoring',
      key: loraKey(lora?.config),
      build: async (weights) => ({
        graph: buildLogprobGraph({
          config: this.config,
          weights,
          ...(lora === undefined ? {} : { lora: lora.config }),
        }),
        extra: undefined,
      }),
    });
    await this.bindLora(this.scoringSlot, lora, loraVersion);
    return { session: this.scoringSlot.session, withLora: lora !== undefined };
  }

  /** The training graph for this objective and LoRA config (adapters are fed by the train step). */
  async training(
    objective: PolicyObjective,
    lora: LoraState,
  ): Promise<{ session: RemoteSession; graph: TrainingGraph }> {
    this.trainingSlot = await this.ensure({
      slot: this.trainingSlot,
      name: 'training',
      key: JSON.stringify({ objective, lora: loraKey(lora.config) }),
      // Activations of a training run are large and short-lived: without the arena they go back to
      // the system after each run (resident peak of a SmolLM2 8x256 LoRA step 4.2 -> 3.4 GB, about the same speed).
      memoryArena: false,
      build: async (weights) => {
        const graph = buildTrainingGraph({
          config: this.config,
          weights,
          trainable: 'lora',
          lora: lora.config,
          objective,
          advantages: 'sequence',
          // The train step reads only the loss, gradients and metrics: the output head runs at
          // response tokens only.
          scoredPositions: 'loss-mask',
        });
        return { graph: graph.graph, extra: graph };
      },
    });
    return { session: this.trainingSlot.session, graph: this.trainingSlot.extra };
  }

  private async generationGraph(weights: WeightTensors, lora: LoraConfig | undefined): Promise<GraphBuilder> {
    const quantized = await this.quantize?.(weights);
    return buildGenerationGraph({
      config: this.config,
      weights,
      ...(lora === undefined ? {} : { lora }),
      ...(quantized === undefined ? {} : { quantized }),
    });
  }

  private async ensure<T>(options: {
    slot: Slot<T> | undefined;
    name: string;
    key: string;
    build: (weights: WeightTensors) => Promise<{ graph: GraphBuilder; extra: T }>;
    /** ORT's CPU arena for this session (default on). */
    memoryArena?: boolean;
  }): Promise<Slot<T>> {
    const { slot } = options;
    if (slot !== undefined && slot.key === options.key) return slot;
    // One session per kind: the old one's memory (a copy of the base weights) goes first.
    if (slot !== undefined) await slot.session.release();
    const started = performance.now();
    const { graph, extra } = await options.build(await this.baseWeights());
    const session = await this.host.createSession({
      model: emitModel({ graph }),
      transfer: true,
      ...(options.memoryArena === undefined ? {} : { memoryArena: options.memoryArena }),
    });
    log.info(
      { ms: Math.round(performance.now() - started), key: options.key },
      `${options.name} session ready`,
    );
    return { key: options.key, session, extra, loraVersion: -1 };
  }

  private async bindLora<T>(slot: Slot<T>, lora: LoraState | undefined, version: number): Promise<void> {
    if (lora === undefined || slot.loraVersion === version) return;
    await slot.session.bind({ feeds: loraFeeds(lora) });
    slot.loraVersion = version;
  }
}

function loraKey(lora: LoraConfig | undefined): string {
  return lora === undefined ? 'base' : JSON.stringify([lora.rank, lora.alpha, [...lora.targets].sort()]);
}
