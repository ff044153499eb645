import { resolve } from 'node:path';
import { storeLocationFor } from '../config/store-env.ts';
import { Policy } from '../engine/policy.ts';
import { modelArgument } from '../models/default-model.ts';
import { openStore } from '../store/open-store.ts';
import { findRunCheckpoint, loadCheckpointFrom, runModel } from '../train/checkpoint-lookup.ts';
import { ValidationError } from '../util/errors.ts';
import { numberFlag } from './io.ts';

/**
 * The policy a command works on (`eval`, `serve`): a model with the LoRA adapters of a folder (a
 * checkpoint folder or an exported PEFT adapter), of a training run's checkpoint from the artifact
 * store (`--run <trainRunId> --step <n> [--store <dir>]`), or none.
 */

/** Where the adapters came from. */
export type LoadedAdapters =
  | { kind: 'folder'; dir: string }
  | { kind: 'run'; trainRunId: string; step: number; label: string };

export interface PolicySourceFlags {
  /** `--model`: absent means the run's model with `--run`, else `defaultModel`, else the default model. */
  model: string | undefined;
  /** The adapter-folder flag's name (`--checkpoint`, `--lora`) and value. */
  folder: { flag: string; path: string | undefined };
  run: string | undefined;
  step: string | undefined;
  store: string | undefined;
}

/**
 * Loads the policy the flags name. Flags that do not go together fail before anything is loaded, and
 * a wrong run or step fails before the model is; `purpose` ends the message of a missing `--step`
 * ("the step whose checkpoint to <purpose>").
 */
export async function loadPolicyFrom(options: {
  flags: PolicySourceFlags;
  defaultModel?: string | undefined;
  threads: number;
  purpose: string;
}): Promise<{ policy: Policy; model: string; adapters: LoadedAdapters | null }> {
  const { flags, threads } = options;
  if (flags.run === undefined) {
    for (const flag of ['step', 'store'] as const) {
      if (flags[flag] !== undefined) throw new ValidationError(`--${flag} goes with --run <trainRunId>`);
    }
    const model = modelArgument(flags.model ?? options.defaultModel);
    const dir = flags.folder.path === undefined ? undefined : resolve(flags.folder.path);
    const policy = await Policy.load({ model, threads, ...(dir === undefined ? {} : { checkpoint: dir }) });
    return { policy, model, adapters: dir === undefined ? null : { kind: 'folder', dir } };
  }
  if (flags.folder.path !== undefined)
    throw new ValidationError(`give ${flags.folder.flag} or --run, not both`);
  if (flags.step === undefined) {
    throw new ValidationError(`--run needs --step <n>: the step whose checkpoint to ${options.purpose}`);
  }
  const step = numberFlag(flags.step, '--step', { min: 0, integer: true });
  const store = openStore(storeLocationFor({ flag: flags.store }));
  const trainRunId = flags.run;
  // A wrong run or step fails here, before the model is loaded.
  await findRunCheckpoint({ store, trainRunId, step });
  const model = modelArgument(flags.model ?? (await runModel({ store, trainRunId })).path);
  const policy = await Policy.load({ model, threads });
  try {
    const loaded = await loadCheckpointFrom({ from: { store, trainRunId, step }, model: policy.config });
    policy.setTrainable(loaded.trainable);
    return { policy, model, adapters: { kind: 'run', trainRunId, step, label: loaded.label } };
  } catch (err) {
    await policy.close();
    throw err;
  }
}
