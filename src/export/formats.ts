import { ExportFormatRegistry } from './export-format.ts';
import { ggufFormat } from './gguf-format.ts';
import { hfFormat } from './hf-format.ts';
import { peftFormat } from './peft-format.ts';

/** The formats `anchorage export` writes. */
export const EXPORT_FORMATS = new ExportFormatRegistry()
  .register(peftFormat)
  .register(hfFormat)
  .register(ggufFormat);
