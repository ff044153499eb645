import type { TrainableState } from '../engine/trainable.ts';
import type { GgufModelSource } from '../models/gguf/gguf-source.ts';
import type { HfModelSource } from '../models/hf-folder/hf-folder.ts';
import { UnknownNameError, ValidationError } from '../util/errors.ts';

/** The base model of an export, opened with its source-specific parts (GGUF header, HF folder). */
export type BaseModel = GgufModelSource | HfModelSource;

/** What a format writes from: the base model, what the checkpoint trained (adapters or weights), and where. */
export interface ExportInput {
  /** An empty folder to write into; it is renamed into place once every file is written. */
  readonly dir: string;
  readonly base: BaseModel;
  readonly trainable: TrainableState;
  /** How the exported files name the base model (PEFT's base_model_name_or_path, GGUF's name). */
  readonly baseModelName: string;
  /** One of the format's `dtypes`. */
  readonly dtype: string;
}

/**
 * A way to take a checkpoint out of the system: PEFT adapters, or the adapters merged into the
 * base weights as a Hugging Face folder or a GGUF file. Registered by name (formats.ts).
 */
export interface ExportFormat {
  readonly name: string;
  readonly description: string;
  /** Float types the format writes, the default first. */
  readonly dtypes: readonly string[];
  /** Writes the format's files into `input.dir`; returns their names. */
  write(input: ExportInput): Promise<string[]>;
}

/** Export formats by name; a taken name fails, an unknown one lists the known ones. */
export class ExportFormatRegistry {
  private readonly formats = new Map<string, ExportFormat>();

  register(format: ExportFormat): this {
    if (this.formats.has(format.name))
      throw new Error(`export format '${format.name}' is registered already`);
    this.formats.set(format.name, format);
    return this;
  }

  get(name: string): ExportFormat {
    const format = this.formats.get(name);
    if (format === undefined) throw new UnknownNameError('export format', name, this.names());
    return format;
  }

  names(): string[] {
    return [...this.formats.keys()];
  }

  /** The float type to write: `dtype`, checked against the format's, or its default. */
  dtype(format: ExportFormat, dtype: string | undefined): string {
    if (dtype === undefined) return format.dtypes[0]!;
    if (!format.dtypes.includes(dtype)) {
      throw new ValidationError(
        `--format ${format.name} writes ${format.dtypes.join(' or ')}, not '${dtype}'`,
        {
          location: { field: 'dtype' },
        },
      );
    }
    return dtype;
  }
}
