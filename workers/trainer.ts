// Worker for the trainer task queue: `node --import tsx workers/trainer.ts` (settings: workers/env.ts).
import { runWorkerProcess } from './run-worker-process.ts';

await runWorkerProcess({ roles: ['trainer'] });
