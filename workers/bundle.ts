import { writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, type WorkflowBundleOption } from '@temporalio/worker';
import { logger } from '../src/util/logger.ts';
import { pinoTemporalLogger } from './logging.ts';

/**
 * The workflow bundle's entry file, in this module's own language: `workflows/index.ts` from the
 * sources, `workflows/index.js` in a build (`npm run build`, which also writes a prebuilt bundle).
 */
export const WORKFLOWS_PATH = fileURLToPath(
  new URL(`../workflows/index${extname(fileURLToPath(import.meta.url))}`, import.meta.url),
);

let bundled: Promise<WorkflowBundleOption> | undefined;

/**
 * The workflow code for a worker: a prebuilt bundle file when given (ANCHORAGE_WORKFLOW_BUNDLE),
 * else `workflows/index.ts` bundled once per process (webpack, a few seconds) and shared by every
 * worker the process starts.
 */
export function workflowBundle(
  options: { codePath?: string | undefined } = {},
): Promise<WorkflowBundleOption> {
  if (options.codePath !== undefined) return Promise.resolve({ codePath: options.codePath });
  bundled ??= bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    logger: pinoTemporalLogger(logger('workflow-bundler')),
  }).then(({ code }) => ({ code }));
  bundled.catch(() => {
    bundled = undefined;
  });
  return bundled;
}

/**
 * Bundles the workflows into `file` (its folder must exist), for worker processes started with
 * ANCHORAGE_WORKFLOW_BUNDLE=`file`: they load it instead of bundling the workflows each at start.
 */
export async function writeWorkflowBundle(file: string): Promise<string> {
  const bundle = await workflowBundle();
  if (!('code' in bundle)) throw new Error('expected bundled workflow code');
  await writeFile(file, bundle.code);
  return file;
}
