import type { GraphBuilder } from '../graph/builder.ts';
import { emitModel } from '../graph/onnx/model.ts';
import type { LlamaConfig } from '../models/config.ts';
import { buildGenerationGraph } from '../models/llama/generation-graph.ts';
import { buildLogprobGraph } from '../models/llama/logprob-graph.ts';
import type { QuantizedProjections } from '../models/llama/quant/projection.ts';
import type { WeightTensors } from '../models/llama/weights.ts';
import { buildTrainingGraph, type TrainingGraph } from '../models/llama/training-graph.ts';
import type { PolicyObjective } from '../rl/losses/objective.ts';
import { logger } from '../util/logger.ts';
import type { RemoteSession, SessionHost } from './host/session-host.ts';
import { type InferenceView, loraKey, type TrainableState, trainableKind } from './trainable.ts';

const log = logger('policy-sessions');

interface Slot<T> {
  key: string;
  session: RemoteSession;
  extra: T;
  /** Version of the trainable values bound to the session (-1: none yet). */
  boundVersion: number;
}

/** Inference with the model file's weights alone (no trainable tensors, or the reference model). */
const BASE_VIEW: InferenceView = { rebuildOnChange: false, reference: 'base-weights' };

/** The inference view of a policy's trainable tensors (the base model's without any). */
export function inferenceView(trainable: TrainableState | undefined): InferenceView {
  return trainable === undefined ? BASE_VIEW : trainableKind(trainable).inference(trainable);
}

/**
 * The ONNX sessions of one policy, built on first use in its session host. Each kind keeps one
 * session (scoring two: the policy's and, where it needs another, the reference model's): a graph
 * depends on what is trained (the LoRA config; for training, the objective too), so a change there
 * replaces the session. Changed values are re-bound where they are inputs (LoRA adapters) and make
 * new sessions where they are initializers (fully fine-tuned weights in generation and scoring);
 * the training graph takes every trainable tensor as an input.
 */
export class PolicySessions {
  private generationSlot: Slot<undefined> | undefined;
  private scoringSlot: Slot<undefined> | undefined;
  private referenceSlot: Slot<undefined> | undefined;
  private trainingSlot: Slot<TrainingGraph> | undefined;
  private readonly host: SessionHost;
  private readonly config: LlamaConfig;
  private readonly baseWeights: () => Promise<WeightTensors>;
  private readonly quantize:
    | ((weights: WeightTensors, options: { fromFile: boolean }) => Promise<QuantizedProjections>)
    | undefined;

  constructor(options: {
    host: SessionHost;
    config: LlamaConfig;
    /** Reads the frozen base weights (float32) for a session being built; they are not kept. */
    baseWeights: () => Promise<WeightTensors>;
    /**
     * Packs matrices for MatMulNBits in the generation graph (rollout only; scoring and training
     * stay float32); `fromFile` false: the weights are not the model file's (fine-tuned).
     */
    quantize?:
      | ((weights: WeightTensors, options: { fromFile: boolean }) => Promise<QuantizedProjections>)
      | undefined;
  }) {
    this.host = options.host;
    this.config = options.config;
    this.baseWeights = options.baseWeights;
    this.quantize = options.quantize;
  }

  /** The KV-cache generation graph of the policy (trainable values bound or built in). */
  async generation(trainable: TrainableState | undefined, version: number): Promise<RemoteSession> {
    const view = inferenceView(trainable);
    this.generationSlot = await this.ensure({
      slot: this.generationSlot,
      name: 'generation',
      key: viewKey(trainable, view, version),
      weights: view.weights,
      build: async (weights) => ({
        graph: await this.generationGraph(weights, view),
        extra: undefined,
      }),
    });
    await this.bind(this.generationSlot, view, version);
    return this.generationSlot.session;
  }

  /**
   * The log-prob graph of the policy, or with `reference` of the reference model; `withLora` says
   * whether it takes `lora_scale` (the reference model is then the same session at scale 0).
   */
  async scoring(
    trainable: TrainableState | undefined,
    version: number,
    options: { reference?: boolean } = {},
  ): Promise<{ session: RemoteSession; withLora: boolean }> {
    const policyView = inferenceView(trainable);
    // The reference model is another session only where the policy's weights are built in.
    const separate =
      options.reference === true && trainable !== undefined && policyView.reference === 'base-weights';
    const view = separate ? BASE_VIEW : policyView;
    const slot = await this.ensure({
      slot: separate ? this.referenceSlot : this.scoringSlot,
      name: separate ? 'reference scoring' : 'scoring',
      key: separate ? viewKey(undefined, view, 0) : viewKey(trainable, view, version),
      weights: view.weights,
      build: async (weights) => ({
        graph: buildLogprobGraph({
          config: this.config,
          weights,
          ...(view.lora === undefined ? {} : { lora: view.lora }),
        }),
        extra: undefined,
      }),
    });
    if (separate) this.referenceSlot = slot;
    else this.scoringSlot = slot;
    await this.bind(slot, view, version);
    return { session: slot.session, withLora: view.lora !== undefined };
  }

  /** The training graph for this objective and what is trained (fed by the train step). */
  async training(
    objective: PolicyObjective,
    trainable: TrainableState,
  ): Promise<{ session: RemoteSession; graph: TrainingGraph }> {
    const kind = trainableKind(trainable);
    this.trainingSlot = await this.ensure({
      slot: this.trainingSlot,
      name: 'training',
      key: JSON.stringify({ objective, [kind.name]: kind.graphKey(trainable) }),
      // Activations of a training run are large and short-lived: without the arena they go back to
      // the system after each run (resident peak of a SmolLM2 8x256 LoRA step 4.2 -> 3.4 GB, about the same speed).
      memoryArena: false,
      build: async (weights) => {
        const graph = buildTrainingGraph({
          config: this.config,
          weights,
          ...kind.trainingGraph(trainable),
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

  private async generationGraph(weights: WeightTensors, view: InferenceView): Promise<GraphBuilder> {
    const quantized = await this.quantize?.(weights, { fromFile: view.weights === undefined });
    return buildGenerationGraph({
      config: this.config,
      weights,
      ...(view.lora === undefined ? {} : { lora: view.lora }),
      ...(quantized === undefined ? {} : { quantized }),
    });
  }

  private async ensure<T>(options: {
    slot: Slot<T> | undefined;
    name: string;
    key: string;
    /** The graph's initializers when not the model file's weights. */
    weights?: WeightTensors | undefined;
    build: (weights: WeightTensors) => Promise<{ graph: GraphBuilder; extra: T }>;
    /** ORT's CPU arena for this session (default on). */
    memoryArena?: boolean;
  }): Promise<Slot<T>> {
    const { slot } = options;
    if (slot !== undefined && slot.key === options.key) return slot;
    // One session per kind: the old one's memory (a copy of the base weights) goes first.
    if (slot !== undefined) await slot.session.release();
    const started = performance.now();
    const { graph, extra } = await options.build(options.weights ?? (await this.baseWeights()));
    const session = await this.host.createSession({
      model: emitModel({ graph }),
      transfer: true,
      ...(options.memoryArena === undefined ? {} : { memoryArena: options.memoryArena }),
    });
    log.info(
      { ms: Math.round(performance.now() - started), key: options.key },
      `${options.name} session ready`,
    );
    return { key: options.key, session, extra, boundVersion: -1 };
  }

  private async bind<T>(slot: Slot<T>, view: InferenceView, version: number): Promise<void> {
    if (view.feeds === undefined || slot.boundVersion === version) return;
    await slot.session.bind({ feeds: view.feeds() });
    slot.boundVersion = version;
  }
}

/** A session's key: the graph's structure, and the values' version where they are built in. */
function viewKey(trainable: TrainableState | undefined, view: InferenceView, version: number): string {
  if (trainable === undefined) return loraKey(undefined);
  const kind = trainableKind(trainable);
  const graph = `${kind.name}:${kind.graphKey(trainable)}`;
  return view.rebuildOnChange ? `${graph}@${version}` : graph;
}
