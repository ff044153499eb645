import { emitModel } from '../graph/onnx/model.ts';
import type { HostTensor } from '../graph/tensor.ts';
import type { LlamaConfig } from '../models/config.ts';
import { buildGenerationGraph } from '../models/llama/generation-graph.ts';
import { type LoraConfig, LoraConfigSchema } from '../models/llama/lora.ts';
import { loadWeights } from '../models/llama/weights.ts';
import type { TextTokenizer } from '../models/tokenizer/text-tokenizer.ts';
import { logger } from '../util/logger.ts';
import {
  type CheckpointManifest,
  loadCheckpoint,
  type OptimizerSnapshot,
  saveCheckpoint,
} from './checkpoint.ts';
import { type GenerationStats, generateTokens } from './generate.ts';
import { type RemoteSession, SessionHost } from './host/session-host.ts';
import { initLoraState, type LoraState, loraFeeds } from './lora-state.ts';
import { openModel } from './model-files.ts';
import { encodePrompt, type Prompt, PromptSchema, responseText } from './prompts.ts';
import type { FinishReason } from './sampling/batch-sampler.ts';
import { type SamplingParamsInput, SamplingParamsSchema } from './sampling/sampling-params.ts';

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
 * A policy: frozen base weights (from a GGUF file or a Hugging Face folder) plus optional LoRA
 * adapters, with ONNX Runtime sessions in a worker thread. The entry point for rollout, scoring and
 * training activities:
 *
 *   const policy = await Policy.load({ model: 'model.gguf', lora: { rank: 16 } });
 *   const { results } = await policy.generate({ prompts: [{ text: 'Hi' }], sampling: { seed: 1 } });
 *   await policy.close();
 *
 * Sessions are built on first use; the generation session is rebuilt only when LoRA is switched on
 * or off, and sees updated adapter values through bound inputs.
 */
export class Policy {
  lora: LoraState | undefined;
  optimizer: OptimizerSnapshot | undefined;
  /** Optimizer steps taken (restored from checkpoints). */
  step = 0;
  private generation: { session: RemoteSession; withLora: boolean; loraVersion: number } | undefined;
  /** Bumped whenever the adapter values change, so bound copies get refreshed. */
  private loraVersion = 0;

  protected constructor(
    readonly modelPath: string,
    readonly config: LlamaConfig,
    readonly tokenizer: TextTokenizer,
    readonly weights: ReadonlyMap<string, HostTensor>,
    readonly host: SessionHost,
  ) {}

  /**
   * Opens the model and starts the session host. `lora` creates fresh adapters (A random from
   * `loraSeed`, B zero); `checkpoint` loads adapters and optimizer state instead.
   */
  static async load(options: {
    model: string;
    threads?: number;
    lora?: Partial<LoraConfig>;
    loraSeed?: number;
    checkpoint?: string;
  }): Promise<Policy> {
    const started = performance.now();
    const { source, tokenizer } = await openModel({ path: options.model });
    const weights = await loadWeights({ source });
    const host = await SessionHost.start(options.threads === undefined ? {} : { threads: options.threads });
    const policy = new Policy(options.model, source.config, tokenizer, weights, host);
    if (options.checkpoint !== undefined) await policy.loadCheckpoint({ dir: options.checkpoint });
    else if (options.lora !== undefined) {
      policy.setLora(
        initLoraState({
          model: source.config,
          lora: LoraConfigSchema.parse(options.lora),
          seed: options.loraSeed ?? 0,
        }),
      );
    }
    log.info({ model: options.model, ms: Math.round(performance.now() - started) }, 'policy loaded');
    return policy;
  }

  /** Replaces the adapters (undefined: the base model). Sessions see the change on their next run. */
  setLora(lora: LoraState | undefined): void {
    this.lora = lora;
    this.loraChanged();
  }

  /** Call after changing adapter values in place (the optimizer does). */
  loraChanged(): void {
    this.loraVersion++;
  }

  encode(prompt: Prompt): number[] {
    return encodePrompt({ prompt: PromptSchema.parse(prompt), tokenizer: this.tokenizer });
  }

  /**
   * Samples one response per prompt. Give every sequence of a run its own stream id (for example
   * promptIndex * G + sampleIndex) so its tokens do not depend on how the batch was composed.
   */
  async generate(options: {
    prompts: readonly Prompt[];
    sampling?: SamplingParamsInput;
    streams?: readonly number[];
  }): Promise<{ results: GenerationResult[]; stats: GenerationStats }> {
    const params = SamplingParamsSchema.parse(options.sampling ?? {});
    const promptIds = options.prompts.map((p) => this.encode(p));
    const session = await this.generationSession();
    const { sequences, stats } = await generateTokens({
      session,
      config: this.config,
      prompts: promptIds,
      params,
      stopIds: this.tokenizer.stopIds,
      padId: this.tokenizer.padId ?? this.tokenizer.eosId ?? 0,
      ...(options.streams === undefined ? {} : { streams: options.streams }),
    });
    const results = sequences.map((s, i) => ({
      promptIds: promptIds[i] as number[],
      tokenIds: s.tokenIds,
      text: responseText({
        tokenIds: s.tokenIds,
        stopped: s.finishReason === 'stop',
        tokenizer: this.tokenizer,
      }),
      logprobs: s.logprobs,
      samplingLogprobs: s.samplingLogprobs,
      finishReason: s.finishReason,
    }));
    return { results, stats };
  }

  private async generationSession(): Promise<RemoteSession> {
    const withLora = this.lora !== undefined;
    if (this.generation !== undefined && this.generation.withLora !== withLora) {
      await this.generation.session.release();
      this.generation = undefined;
    }
    if (this.generation === undefined) {
      const started = performance.now();
      const graph = buildGenerationGraph({
        config: this.config,
        weights: this.weights,
        ...(this.lora === undefined ? {} : { lora: this.lora.config }),
      });
      const session = await this.host.createSession({
        model: emitModel({ graph }),
        transfer: true,
        name: 'generation',
      });
      this.generation = { session, withLora, loraVersion: -1 };
      log.info({ ms: Math.round(performance.now() - started), withLora }, 'generation session ready');
    }
    if (this.lora !== undefined && this.generation.loraVersion !== this.loraVersion) {
      await this.generation.session.bind({ feeds: loraFeeds(this.lora) });
      this.generation.loraVersion = this.loraVersion;
    }
    return this.generation.session;
  }

  /** Writes adapters and optimizer state (atomic; an existing checkpoint folder is returned as is). */
  async saveCheckpoint(options: {
    dir: string;
    metadata?: Readonly<Record<string, string>>;
  }): Promise<{ dir: string; manifest: CheckpointManifest; existed: boolean }> {
    if (this.lora === undefined) throw new Error('the policy has no LoRA adapters to save');
    return saveCheckpoint({
      dir: options.dir,
      lora: this.lora,
      step: this.step,
      metadata: { baseModel: this.modelPath, ...(options.metadata ?? {}) },
      ...(this.optimizer === undefined ? {} : { optimizer: this.optimizer }),
    });
  }

  /** Loads adapters (and optimizer state, if saved) from a checkpoint folder. */
  async loadCheckpoint(options: { dir: string }): Promise<CheckpointManifest> {
    const loaded = await loadCheckpoint({ dir: options.dir, model: this.config });
    this.setLora(loaded.lora);
    this.optimizer = loaded.optimizer;
    this.step = loaded.manifest.step;
    return loaded.manifest;
  }

  /** Releases the sessions and ends the worker thread. */
  async close(): Promise<void> {
    await this.host.close();
  }
}
