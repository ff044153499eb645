import type { Command } from 'commander';
import { z } from 'zod';
import { storeLocationFor } from '../../config/store-env.ts';
import { exportCheckpoint } from '../../export/export-checkpoint.ts';
import { EXPORT_FORMATS } from '../../export/formats.ts';
import { openStore } from '../../store/open-store.ts';
import type { CheckpointSource } from '../../train/checkpoint-lookup.ts';
import { ValidationError } from '../../util/errors.ts';
import type { CliCommand } from '../command.ts';
import { numberFlag, out } from '../io.ts';

const ExportOptions = z.object({
  format: z.string(),
  out: z.string().min(1),
  run: z.string().optional(),
  step: z.string().optional(),
  store: z.string().optional(),
  checkpoint: z.string().optional(),
  model: z.string().optional(),
  dtype: z.string().optional(),
  baseModelName: z.string().min(1).optional(),
  json: z.boolean().default(false),
});
type ExportOptions = z.infer<typeof ExportOptions>;

export const exportCommand: CliCommand = {
  name: 'export',
  register(program: Command) {
    const formats = EXPORT_FORMATS.names().map((name) => {
      const f = EXPORT_FORMATS.get(name);
      return `${name} (${f.description}; ${f.dtypes.join('/')})`;
    });
    program
      .command('export')
      .description("write a checkpoint's LoRA adapters as PEFT adapters, or merged into the base model")
      .requiredOption('--format <name>', `the format: ${formats.join('; ')}`)
      .requiredOption('--out <dir>', 'output folder: new or empty; written completely or not at all')
      .option('--run <trainRunId>', "a training run's checkpoint (with --step), from the artifact store")
      .option('--step <n>', 'with --run: the step after which the checkpoint was committed')
      .option(
        '--store <dir|url>',
        'with --run: the artifact store, a folder or s3://<bucket>/<prefix> (default: ANCHORAGE_STORE_URL, else ANCHORAGE_STORE_DIR or <data dir>/store)',
      )
      .option('--checkpoint <dir>', 'a checkpoint folder (checkpoint.json) or a PEFT adapter folder')
      .option(
        '--model <path>',
        "the base model, GGUF file or model folder (default: the run's model; with --checkpoint, the SmolLM2 model from setup)",
      )
      .option('--dtype <type>', "float type of merged weights (default: the format's first)")
      .option(
        '--base-model-name <name>',
        "how the files name the base model (PEFT's base_model_name_or_path)",
      )
      .option('--json', 'print what was written as one JSON object')
      .action(async (raw: unknown) => runExport(ExportOptions.parse(raw)));
  },
};

function checkpointSource(o: ExportOptions): CheckpointSource {
  if (o.run === undefined) {
    for (const flag of ['step', 'store'] as const) {
      if (o[flag] !== undefined) throw new ValidationError(`--${flag} goes with --run <trainRunId>`);
    }
    if (o.checkpoint === undefined) {
      throw new ValidationError('name the checkpoint: --run <trainRunId> --step <n>, or --checkpoint <dir>');
    }
    return { dir: o.checkpoint };
  }
  if (o.checkpoint !== undefined) throw new ValidationError('give --checkpoint or --run, not both');
  if (o.step === undefined)
    throw new ValidationError('--run needs --step <n>: the step whose checkpoint to export');
  const step = numberFlag(o.step, '--step', { min: 0, integer: true });
  const store = openStore(storeLocationFor({ flag: o.store }));
  return { store, trainRunId: o.run, step };
}

async function runExport(o: ExportOptions): Promise<void> {
  const result = await exportCheckpoint({
    from: checkpointSource(o),
    format: o.format,
    out: o.out,
    ...(o.model === undefined ? {} : { model: o.model }),
    ...(o.dtype === undefined ? {} : { dtype: o.dtype }),
    ...(o.baseModelName === undefined ? {} : { baseModelName: o.baseModelName }),
  });
  if (o.json) {
    out(JSON.stringify(result));
    return;
  }
  out(
    `exported ${result.checkpoint} on ${result.model} as ${result.format} (${result.dtype}) to ${result.out}`,
  );
  for (const f of result.files) out(`  ${f.name}  ${(f.bytes / 1e6).toFixed(2)} MB`);
}
