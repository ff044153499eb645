import type {
  FinishedSequence,
  GenerationStats,
  OutputConstraint,
} from '../engine/generation/generation-types.ts';
import type { OpenGeneration } from '../engine/open-generation.ts';
import type { Policy } from '../engine/policy.ts';
import type { SamplingParams } from '../engine/sampling/sampling-params.ts';
import type { ChatMessage } from '../models/tokenizer/chat-template.ts';
import { logger } from '../util/logger.ts';

const log = logger('serve');

/** What the chat server needs of a model (ServedModel is the real one). */
export interface ChatModel {
  readonly id: string;
  readonly contextLength: number;
  readonly stopIds: readonly number[];
  encodeChat(messages: readonly ChatMessage[]): number[];
  decode(ids: readonly number[]): string;
  generate(options: {
    prompt: readonly number[];
    params: SamplingParams;
    stream: number;
    constraint?: OutputConstraint;
    onToken: (token: number) => void;
    signal: AbortSignal;
  }): Promise<FinishedSequence>;
  close(options: { graceMs: number }): Promise<unknown>;
}

/**
 * The model behind the server: a policy (base model, maybe with adapters) and the open generation
 * that batches every request's sequence. A generation that failed (its worker thread died) is
 * replaced on the next request, so one failure costs the requests in flight, not the server.
 */
export class ServedModel implements ChatModel {
  private open: OpenGeneration | undefined;
  private starting: Promise<OpenGeneration> | undefined;

  constructor(
    private readonly policy: Policy,
    readonly options: {
      /** The name clients ask for (`model` in requests, the id in /v1/models). */
      id: string;
      /** Sequences decoded together. */
      slots: number;
      /** Decode only the steps that `advance` grants (tests; see OpenGeneration.advance). */
      paced?: boolean;
    },
  ) {}

  get id(): string {
    return this.options.id;
  }

  get contextLength(): number {
    return this.policy.config.contextLength;
  }

  get stopIds(): readonly number[] {
    return this.policy.tokenizer.stopIds;
  }

  /** The most requests that decoded together in the current generation (0 before the first). */
  get peakBatch(): number {
    return this.open?.peakBatch ?? 0;
  }

  /** Messages rendered with the model's chat template, with the assistant header: prompt token ids. */
  encodeChat(messages: readonly ChatMessage[]): number[] {
    return this.policy.encode({ messages: [...messages] });
  }

  decode(ids: readonly number[]): string {
    return this.policy.tokenizer.decode(ids);
  }

  /** A paced model only: decodes `steps` more steps (see OpenGeneration.advance). */
  async advance(steps: number): Promise<void> {
    await (await this.generation()).advance(steps);
  }

  /** Builds the generation session and the token texts now rather than on the first request. */
  async warm(): Promise<void> {
    await this.generation();
  }

  /** Runs one sequence in the shared batch (see OpenGeneration.add). */
  async generate(options: {
    prompt: readonly number[];
    params: SamplingParams;
    stream: number;
    constraint?: OutputConstraint;
    onToken: (token: number) => void;
    signal: AbortSignal;
  }): Promise<FinishedSequence> {
    const open = await this.generation();
    return open.add({ ...options, stopIds: this.stopIds });
  }

  /**
   * Stops taking sequences and waits up to `graceMs` for the running ones; then stops them and
   * closes the policy.
   */
  async close(options: { graceMs: number }): Promise<GenerationStats | undefined> {
    const open = this.open ?? (await this.starting?.catch(() => undefined));
    let stats: GenerationStats | undefined;
    if (open?.accepting === true) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), options.graceMs);
      });
      stats = await Promise.race([open.end().catch(() => undefined), timeout]);
      clearTimeout(timer);
    }
    await this.policy.close();
    return stats;
  }

  private async generation(): Promise<OpenGeneration> {
    if (this.open?.accepting === true) return this.open;
    if (this.open !== undefined) log.warn({ model: this.id }, 'the generation failed; starting a new one');
    this.open = undefined;
    this.starting ??= this.policy.openGeneration({
      slots: this.options.slots,
      ...(this.options.paced === true ? { paced: true } : {}),
    });
    try {
      this.open = await this.starting;
      return this.open;
    } finally {
      this.starting = undefined;
    }
  }
}
