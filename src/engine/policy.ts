import type { HostTensor } from '../graph/tensor.ts';
import type { LlamaConfig, ModelSource } from '../models/config.ts';
import { type LoraConfig, LoraConfigSchema } from '../models/llama/lora.ts';
import { packWeights, type QuantScheme } from '../models/llama/quant/quantized-weights.ts';
import { loadWeights } from '../models/llama/weights.ts';
import type { TextTokenizer } from '../models/tokenizer/text-tokenizer.ts';
import { type PolicyObjective, PolicyObjectiveSchema } from '../rl/losses/objective.ts';
import { type AdamWConfigInput, AdamWConfigSchema, createAdamWState } from '../rl/optim/adamw.ts';
import { ValidationError } from '../util/errors.ts';
import { EngineError } from './errors.ts';
import { logger } from '../util/logger.ts';
import { loadAdapterFolder } from './adapter-folder.ts';
import { type CheckpointManifest, type OptimizerSnapshot, saveCheckpoint } from './checkpoint.ts';
import { DEFAULT_GENERATION_SLOTS, type GenerationStats, generateTokens } from './generate.ts';
import type { ExecutionProvider } from './host/protocol.ts';
import { type HostOptions, SessionHost } from './host/session-host.ts';
import { computeLogprobs } from './logprobs.ts';
import type { LoraState } from './lora-state.ts';
import { openModel } from './model-files.ts';
import { OpenGeneration } from './open-generation.ts';
import { tokenTexts } from './constrain/token-texts.ts';
import { parseInput } from './parse-input.ts';
import { PolicySessions } from './policy-sessions.ts';
import { encodePrompt, type Prompt, PromptSchema, responseText } from './prompts.ts';
import type { FinishedSequence, FinishReason } from './generation/generation-types.ts';
import { type SamplingParamsInput, SamplingParamsSchema } from './sampling/sampling-params.ts';
import type { PromptResponse } from './scored-batch.ts';
import { defaultMicroBatch, type TrainSequence, type TrainStepResult, trainStep } from './train-step.ts';
import { type TrainableKindName, type TrainableState, trainableKindNamed } from './trainable.ts';

const log = logger('policy');

/** One generated response. */
export interface GenerationResult {
  promptIds: number[];
  /** New tokens; a stop token that ended the response is the last one. */
  tokenIds: number[];
  /** The new tokens decoded, without the final stop token. */
  text: string;
  /** Per new token: log-softmax at temperature 1 (the policy's log-prob). */
  logprobs: number[];
  /** Per new token: log-prob under the sampling distribution (temperature, top-k, top-p). */
  samplingLogprobs: number[];
  finishReason: FinishReason;
}

/**
 * A policy: base weights (from a GGUF file or a Hugging Face folder) plus what it trains, if
 * anything: LoRA adapters beside the frozen weights, or with full fine-tuning the weights
 * themselves (see trainable.ts). ONNX Runtime sessions run in a worker thread. The entry point for
 * rollout, scoring and training activities:
 *
 *   const policy = await Policy.load({ model: 'model.gguf', lora: { rank: 16 } });
 *   const { results } = await policy.generate({ prompts: [{ text: 'Hi' }], sampling: { seed: 1 } });
 *   await policy.close();
 *
 * Sessions are built on first use; the generation session is rebuilt when what is trained changes
 * shape (LoRA on or off, another rank), sees updated adapter values through bound inputs, and is
 * rebuilt with the updated weights after a full fine-tuning step.
 */
export class Policy {
  /** What the policy trains (undefined: the base model, nothing to train). */
  trainable: TrainableState | undefined;
  optimizer: OptimizerSnapshot | undefined;
  /** Optimizer steps taken (restored from checkpoints). */
  step = 0;
  private sessions: PolicySessions;
  /** Bumped whenever the trainable values change, so bound copies and built-in weights get refreshed. */
  private trainableVersion = 0;
  /** Each token's text for constrained decoding, built on first use (see constrain/token-texts.ts). */
  private texts: (string | null)[] | undefined;
  /** Open generations started here: closing stops them (the worker would wait for them forever). */
  private readonly opened = new Set<OpenGeneration>();

  protected constructor(
    readonly modelPath: string,
    private readonly source: ModelSource,
    readonly tokenizer: TextTokenizer,
    private host: SessionHost,
    private readonly hostOptions: HostOptions,
    private readonly quant: QuantScheme,
  ) {
    this.sessions = this.newSessions();
  }

  get config(): LlamaConfig {
    return this.source.config;
  }

  /** The LoRA adapters, when that is what the policy trains. */
  get lora(): LoraState | undefined {
    return this.trainable?.kind === 'lora' ? this.trainable : undefined;
  }

  /**
   * The frozen base weights in float32, read from the model file. Not kept: every session holds
   * them as initializers, and a second copy in JavaScript would add the whole model to the
   * resident memory for nothing (SmolLM2-135M: 0.54 GB). Sessions are built rarely.
   */
  loadBaseWeights(): Promise<Map<string, HostTensor>> {
    return loadWeights({ source: this.source });
  }

  private newSessions(): PolicySessions {
    return new PolicySessions({
      host: this.host,
      config: this.source.config,
      baseWeights: () => this.loadBaseWeights(),
      quantize:
        this.quant === 'q4'
          ? async (weights, { fromFile }) => ({
              weights: await packWeights({ source: this.source, weights, fromFile }),
            })
          : undefined,
    });
  }

  /**
   * The session host, restarted if its worker thread died (sessions are rebuilt on next use), so
   * that a crashed worker fails one call, not every later one.
   */
  private async live(): Promise<PolicySessions> {
    if (!this.host.alive) {
      log.warn({ model: this.modelPath }, 'session host worker is gone; starting a new one');
      await this.host.close().catch(() => undefined);
      this.host = await SessionHost.start(this.hostOptions);
      this.sessions = this.newSessions();
    }
    return this.sessions;
  }

  /**
   * Opens the model and starts the session host. `lora` creates fresh adapters (A random from
   * `loraSeed`, B zero); `full` trains every weight, starting from the model file's (dequantised
   * to float32); `checkpoint` loads what a checkpoint trained, with its optimizer state, instead.
   */
  static async load(options: {
    model: string;
    threads?: number;
    /** Where ONNX Runtime runs the sessions (default 'cpu'). */
    executionProvider?: ExecutionProvider;
    lora?: Partial<LoraConfig>;
    loraSeed?: number;
    /** Full fine-tuning (instead of `lora`). */
    full?: boolean;
    checkpoint?: string;
    /** Rollout matmuls: 'f32' (default) or 'q4' (4-bit MatMulNBits projections, 8-bit head). */
    quant?: QuantScheme;
  }): Promise<Policy> {
    const started = performance.now();
    const { source, tokenizer } = await openModel({ path: options.model });
    const hostOptions: HostOptions = {
      ...(options.threads === undefined ? {} : { threads: options.threads }),
      ...(options.executionProvider === undefined ? {} : { executionProvider: options.executionProvider }),
    };
    const host = await SessionHost.start(hostOptions);
    const policy = new Policy(options.model, source, tokenizer, host, hostOptions, options.quant ?? 'f32');
    try {
      if (options.lora !== undefined && options.full === true) {
        throw new ValidationError('give `lora` or `full`, not both');
      }
      if (options.checkpoint !== undefined) await policy.loadCheckpoint({ dir: options.checkpoint });
      else if (options.full === true || options.lora !== undefined) {
        const kind = options.full === true ? 'full' : 'lora';
        policy.setTrainable(
          await policy.freshTrainable({
            kind,
            lora: parseInput({ schema: LoraConfigSchema, value: options.lora ?? {}, what: 'lora' }),
            seed: options.loraSeed ?? 0,
          }),
        );
      }
    } catch (err) {
      // The worker thread would keep the process alive after the error.
      await host.close();
      throw err;
    }
    log.info({ model: options.model, ms: Math.round(performance.now() - started) }, 'policy loaded');
    return policy;
  }

  /**
   * Replaces what the policy trains (undefined: the base model, nothing). Sessions see the change
   * on their next run.
   */
  setTrainable(trainable: TrainableState | undefined): void {
    this.trainable = trainable;
    this.trainableChanged();
  }

  /** Call after changing trainable values in place (the optimizer does). */
  trainableChanged(): void {
    this.trainableVersion++;
  }

  /**
   * A fresh trainable state of a kind (not set): LoRA adapters from `lora` and `seed` (A random, B
   * zero), or for full fine-tuning the model file's weights as float32 tensors.
   */
  freshTrainable(options: {
    kind: TrainableKindName;
    lora: LoraConfig;
    seed: number;
  }): Promise<TrainableState> {
    return trainableKindNamed(options.kind).init({
      model: this.config,
      lora: options.lora,
      seed: options.seed,
      baseWeights: () => this.loadBaseWeights(),
      source: this.modelPath,
    });
  }

  encode(prompt: Prompt): number[] {
    return encodePrompt({
      prompt: parseInput({ schema: PromptSchema, value: prompt, what: 'prompt' }),
      tokenizer: this.tokenizer,
    });
  }

  /**
   * Samples one response per prompt. Give every sequence of a run its own stream id (for example
   * promptIndex * G + sampleIndex) so its tokens do not depend on how the batch was composed.
   */
  async generate(options: {
    prompts: readonly Prompt[];
    sampling?: SamplingParamsInput;
    streams?: readonly number[];
    /**
     * Sequences decoded together at most (default 32): the KV cache's rows. More prompts wait and
     * take a row as soon as one frees up.
     */
    batchSize?: number;
    onStep?: (progress: { step: number; active: number; newTokens: number }) => void;
    /** Receives each response as soon as it is finished, with its index in `prompts`. */
    onFinished?: (index: number, result: GenerationResult) => void;
    signal?: AbortSignal;
  }): Promise<{ results: GenerationResult[]; stats: GenerationStats }> {
    const params = parseInput({
      schema: SamplingParamsSchema,
      value: options.sampling ?? {},
      what: 'sampling',
    });
    const promptIds = options.prompts.map((p) => this.encode(p));
    if (options.streams !== undefined && options.streams.length !== promptIds.length) {
      throw new ValidationError(
        `streams: expected ${promptIds.length} stream ids, got ${options.streams.length}`,
      );
    }
    const session = await (await this.live()).generation(this.trainable, this.trainableVersion);
    const toResult = (s: FinishedSequence): GenerationResult => ({
      promptIds: promptIds[s.index] as number[],
      tokenIds: s.tokenIds,
      text: responseText({
        tokenIds: s.tokenIds,
        stopped: s.finishReason === 'stop',
        tokenizer: this.tokenizer,
      }),
      logprobs: s.logprobs,
      samplingLogprobs: s.samplingLogprobs,
      finishReason: s.finishReason,
    });
    const onFinished = options.onFinished;
    const { sequences, stats } = await generateTokens({
      session,
      config: this.config,
      prompts: promptIds,
      params,
      stopIds: this.tokenizer.stopIds,
      streams: options.streams ?? promptIds.map((_, i) => i),
      ...(options.batchSize === undefined ? {} : { slots: options.batchSize }),
      ...(options.onStep === undefined ? {} : { onStep: options.onStep }),
      ...(onFinished === undefined ? {} : { onFinished: (s) => onFinished(s.index, toResult(s)) }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    return { results: sequences.map(toResult), stats };
  }

  /**
   * Starts a generation that takes sequences while it runs (a server's requests; see
   * OpenGeneration), with the current adapters. `constrained` (default true) prepares the token
   * texts that JSON-constrained sequences need. Adapters changed later are not seen by it. `paced`:
   * see OpenGeneration.start.
   */
  async openGeneration(
    options: { slots?: number; constrained?: boolean; paced?: boolean } = {},
  ): Promise<OpenGeneration> {
    const session = await (await this.live()).generation(this.trainable, this.trainableVersion);
    if (options.constrained !== false) this.texts ??= tokenTexts(this.tokenizer);
    const open = OpenGeneration.start({
      session,
      config: this.config,
      slots: options.slots ?? DEFAULT_GENERATION_SLOTS,
      ...(options.constrained === false || this.texts === undefined ? {} : { tokenTexts: this.texts }),
      stopIds: this.tokenizer.stopIds,
      ...(options.paced === true ? { paced: true } : {}),
    });
    this.opened.add(open);
    open.done.then(
      () => this.opened.delete(open),
      () => this.opened.delete(open),
    );
    return open;
  }

  /**
   * Per-token log-probs and entropies of given responses (teacher forcing). `reference` scores
   * with the base model (LoRA off, or the model file's weights), the reference policy of the KL
   * term. `temperature` divides the logits first (1 = the raw model, matching the sampler's `logprobs`).
   */
  async logprobs(options: {
    sequences: readonly PromptResponse[];
    reference?: boolean;
    temperature?: number;
    microBatchSize?: number;
  }): Promise<{ logprobs: number[][]; entropies: number[][] }> {
    const scoring = await (await this.live()).scoring(this.trainable, this.trainableVersion, {
      reference: options.reference === true,
    });
    return computeLogprobs({
      session: scoring.session,
      sequences: options.sequences,
      padId: this.padId,
      ...(scoring.withLora ? { loraScale: options.reference === true ? 0 : 1 } : {}),
      ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
      ...(options.microBatchSize === undefined ? {} : { microBatchSize: options.microBatchSize }),
    });
  }

  /**
   * One policy-gradient step on what the policy trains (see `trainStep`): loss and gradients from the
   * training graph for `objective`, global-norm clipping at `maxGradNorm` (default 1), AdamW.
   * Reference log-probs are computed here when kl_coef is not 0 and the batch lacks them. On a
   * non-finite loss or gradient the step is refused (NonFiniteError) and nothing changes.
   */
  async trainStep(options: {
    sequences: readonly TrainSequence[];
    objective?: Partial<PolicyObjective>;
    /** Scalar hyperparameters (clip_low, clip_high, kl_coef, entropy_coef); defaults from the loss registry. */
    hyper?: Readonly<Record<string, number>>;
    /** AdamW hyperparameters; default: those of the loaded optimizer state. */
    optimizer?: AdamWConfigInput;
    maxGradNorm?: number;
    temperature?: number;
    /** Sequences per training-graph run (default: as many as fit MICRO_BATCH_TOKENS). */
    microBatchSize?: number;
    /** Compute reference log-probs even when kl_coef is 0, to report the KL (one more forward pass). */
    measureKl?: boolean;
    /** Called after each micro-batch's forward and backward pass. */
    onMicroBatch?: (progress: { done: number; total: number }) => void;
  }): Promise<TrainStepResult> {
    const trainable = this.trainable;
    if (trainable === undefined)
      throw new ValidationError('the policy has nothing to train (load it with `lora` or `full`)');
    const objective = parseInput({
      schema: PolicyObjectiveSchema,
      value: options.objective ?? {},
      what: 'objective',
    });
    const { session, graph } = await (await this.live()).training(objective, trainable);
    const hyper: Record<string, number> = {};
    for (const h of graph.hyperparameters) hyper[h.name] = options.hyper?.[h.name] ?? h.defaultValue;
    const unknown = Object.keys(options.hyper ?? {}).filter((k) => !(k in hyper));
    if (unknown.length > 0) {
      throw new ValidationError(
        `unknown hyperparameter(s) ${unknown.join(', ')}; this objective takes ${Object.keys(hyper).join(', ')}`,
      );
    }
    let sequences = options.sequences;
    const wantRef = (hyper['kl_coef'] ?? 0) !== 0 || options.measureKl === true;
    if (wantRef && sequences.some((s) => s.refLogprobs === undefined)) {
      const ref = await this.logprobs({
        sequences,
        reference: true,
        ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
      });
      sequences = sequences.map((s, i) => ({
        ...s,
        refLogprobs: s.refLogprobs ?? (ref.logprobs[i] as number[]),
      }));
    }
    const configInput = options.optimizer ?? this.optimizer?.config;
    if (configInput === undefined)
      throw new ValidationError('optimizer: give AdamW hyperparameters (at least lr)');
    const config = parseInput({ schema: AdamWConfigSchema, value: configInput, what: 'optimizer' });
    const state = this.optimizer?.state ?? createAdamWState(Object.fromEntries(trainable.tensors));
    const result = await trainStep({
      session,
      aggregation: objective.aggregation,
      hyper,
      trainable,
      optimizer: { state, config },
      sequences,
      padId: this.padId,
      maxGradNorm: options.maxGradNorm ?? 1,
      microBatchSize: options.microBatchSize ?? defaultMicroBatch(sequences),
      ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
      ...(options.onMicroBatch === undefined ? {} : { onMicroBatch: options.onMicroBatch }),
    });
    this.optimizer = { state, config };
    this.step = result.step;
    this.trainableChanged();
    return result;
  }

  private get padId(): number {
    return this.tokenizer.padId ?? this.tokenizer.eosId ?? 0;
  }

  /** Writes what is trained and the optimizer state (atomic; an existing checkpoint folder is returned as is). */
  async saveCheckpoint(options: {
    dir: string;
    metadata?: Readonly<Record<string, string>>;
  }): Promise<{ dir: string; manifest: CheckpointManifest; existed: boolean }> {
    if (this.trainable === undefined) throw new ValidationError('the policy has nothing trained to save');
    return saveCheckpoint({
      dir: options.dir,
      trainable: this.trainable,
      step: this.step,
      metadata: { baseModel: this.modelPath, ...(options.metadata ?? {}) },
      ...(this.optimizer === undefined ? {} : { optimizer: this.optimizer }),
    });
  }

  /**
   * Loads what a checkpoint folder trained (adapters or weights, with its optimizer state, if
   * saved) or a PEFT adapter folder (adapters only). Returns the checkpoint's manifest; a PEFT
   * folder has none.
   */
  async loadCheckpoint(options: { dir: string }): Promise<CheckpointManifest | undefined> {
    const loaded = await loadAdapterFolder({ dir: options.dir, model: this.config });
    this.setTrainable(loaded.trainable);
    this.optimizer = loaded.optimizer;
    this.step = loaded.manifest?.step ?? 0;
    return loaded.manifest;
  }

  /** Releases the sessions and ends the worker thread; open generations are stopped first. */
  async close(): Promise<void> {
    for (const open of this.opened) open.cancel(new EngineError('policy closed'));
    await this.host.close();
  }
}
