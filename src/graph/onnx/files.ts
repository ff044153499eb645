import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EmittedModel } from './model.ts';

/**
 * Writes an emitted model to `dir/fileName` and its external data beside it (under the location
 * recorded in the model), streaming the side file chunk by chunk: no single buffer holds it, so it
 * may exceed the 4 GiB limit of an in-memory `externalData` entry. Load the result with
 * `InferenceSession.create(modelPath)`. Returns the model's path.
 */
export async function writeModelFiles(options: {
  model: EmittedModel;
  dir: string;
  fileName: string;
}): Promise<string> {
  const { model, dir, fileName } = options;
  const modelPath = join(dir, fileName);
  const external = model.external;
  if (external !== undefined) {
    const handle = await open(join(dir, external.location), 'w');
    try {
      for (const chunk of external.chunks) await handle.write(chunk);
    } finally {
      await handle.close();
    }
  }
  await writeFile(modelPath, model.model);
  return modelPath;
}
