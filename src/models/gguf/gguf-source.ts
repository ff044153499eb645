import { ValidationError } from '../../util/errors.ts';
import { expectedWeights, type LlamaConfig, type ModelSource, type WeightInfo } from '../config.ts';
import { configFromGguf } from './gguf-config.ts';
import { type GgufHeader, readGgufHeader, readGgufTensor } from './gguf-reader.ts';

/** A GGUF model file as a ModelSource; `header` gives raw access (metadata, quantised bytes). */
export interface GgufModelSource extends ModelSource {
  readonly format: 'gguf';
  readonly header: GgufHeader;
}

/**
 * Open a GGUF model: parse the header, derive the config, and check that every weight the config
 * needs is present with the expected shape. Tensor data is read later, one weight at a time.
 */
export async function openGgufModel(options: { path: string }): Promise<GgufModelSource> {
  const header = await readGgufHeader({ path: options.path });
  const config = configFromGguf({ header });
  const weights = checkWeights({ header, config });
  return {
    path: options.path,
    format: 'gguf',
    config,
    header,
    weights,
    loadWeight: (name) => {
      if (!weights.has(name)) {
        throw new ValidationError(`no weight named '${name}'`, { location: { file: options.path } });
      }
      return readGgufTensor({ header, name });
    },
  };
}

function checkWeights(options: { header: GgufHeader; config: LlamaConfig }): Map<string, WeightInfo> {
  const { header, config } = options;
  const weights = new Map<string, WeightInfo>();
  const problems: string[] = [];
  for (const [name, shape] of expectedWeights(config)) {
    const info = header.tensorsByName.get(name);
    if (info === undefined) {
      problems.push(`missing tensor '${name}'`);
      continue;
    }
    if (info.shape.join(',') !== shape.join(',')) {
      problems.push(`tensor '${name}' has shape [${info.shape}], expected [${shape}]`);
      continue;
    }
    weights.set(name, { name, shape: info.shape, storage: info.type.name });
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 5).join('; ');
    const more = problems.length > 5 ? ` (and ${problems.length - 5} more)` : '';
    throw new ValidationError(`weights do not match the metadata: ${shown}${more}`, {
      location: { file: header.file },
    });
  }
  return weights;
}
