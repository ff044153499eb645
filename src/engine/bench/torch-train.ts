import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { z } from 'zod';
import type { HostTensor } from '../../graph/tensor.ts';
import type { LlamaConfig } from '../../models/config.ts';
import type { LoraConfig } from '../../models/llama/lora.ts';
import { writeSafetensors } from '../../models/safetensors/safetensors-writer.ts';
import { ValidationError } from '../../util/errors.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const TORCH_PYTHON = join(ROOT, '.tools', 'torch-venv', 'bin', 'python');
const SCRIPT = join(ROOT, 'scripts', 'bench-peer', 'torch_train.py');

export const TorchTrainFiguresSchema = z.object({
  engine: z.string(),
  threads: z.number(),
  stepMs: z.array(z.number()),
  tokensPerSecond: z.number(),
  peakRssMb: z.number(),
  losses: z.array(z.number()),
});
export type TorchTrainFigures = z.infer<typeof TorchTrainFiguresSchema>;

/**
 * Runs the PyTorch peer (scripts/bench-peer/torch_train.py) on the same float32 weights, LoRA
 * initialisation and batch, in its own process: weights and batch travel as safetensors files.
 */
export async function torchTrainPeer(options: {
  config: LlamaConfig;
  lora: LoraConfig;
  weights: ReadonlyMap<string, HostTensor>;
  batch: Record<string, HostTensor>;
  loraInit: ReadonlyMap<string, Float32Array>;
  loraShapes: ReadonlyMap<string, readonly number[]>;
  steps: number;
  threads: number;
  lr: number;
  maxGradNorm: number;
  hyper: { clip_low: number; clip_high: number };
}): Promise<TorchTrainFigures> {
  if (!existsSync(TORCH_PYTHON)) {
    throw new ValidationError(`no PyTorch venv at ${TORCH_PYTHON}: run \`bash scripts/setup-torch.sh\``);
  }
  const dir = await mkdtemp(join(tmpdir(), 'anchorage-torch-peer-'));
  try {
    const asF32 = (t: HostTensor) =>
      t.data instanceof Float32Array
        ? t.data
        : Float32Array.from(t.data as ArrayLike<number | bigint>, Number);
    await writeSafetensors({
      path: join(dir, 'weights.safetensors'),
      tensors: [...options.weights].map(([name, t]) => ({
        name,
        shape: t.dims,
        dtype: 'F32' as const,
        data: asF32(t),
      })),
    });
    await writeSafetensors({
      path: join(dir, 'batch.safetensors'),
      tensors: [
        ...Object.entries(options.batch).map(([name, t]) => ({
          name,
          shape: t.dims,
          dtype: 'F32' as const,
          data: asF32(t),
        })),
        ...[...options.loraInit].map(([name, data]) => ({
          name: `lora.${name}`,
          shape: options.loraShapes.get(name) as number[],
          dtype: 'F32' as const,
          data,
        })),
      ],
    });
    const job = {
      model: options.config,
      lora: options.lora,
      steps: options.steps,
      threads: options.threads,
      lr: options.lr,
      maxGradNorm: options.maxGradNorm,
      hyper: options.hyper,
    };
    await writeFile(join(dir, 'job.json'), JSON.stringify(job));
    const { stdout } = await promisify(execFile)(
      TORCH_PYTHON,
      [SCRIPT, join(dir, 'job.json'), join(dir, 'weights.safetensors'), join(dir, 'batch.safetensors')],
      { maxBuffer: 1 << 20, env: { ...process.env, PYTHONWARNINGS: 'ignore' } },
    );
    return TorchTrainFiguresSchema.parse(JSON.parse(stdout.trim().split('\n').at(-1) ?? ''));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
