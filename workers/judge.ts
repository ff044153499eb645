// Worker for the judge task queue: `node --import tsx workers/judge.ts` (settings: workers/env.ts).
import { runWorkerProcess } from './run-worker-process.ts';

await runWorkerProcess({ roles: ['judge'] });
