// Worker for the rollout task queue: `node --import tsx workers/rollout.ts` (settings: workers/env.ts).
import { runWorkerProcess } from './run-worker-process.ts';

await runWorkerProcess({ roles: ['rollout'] });
