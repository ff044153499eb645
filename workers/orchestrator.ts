// Worker for the orchestrator task queue: `node --import tsx workers/orchestrator.ts` (settings: workers/env.ts).
import { runWorkerProcess } from './run-worker-process.ts';

await runWorkerProcess({ roles: ['orchestrator'] });
