// Every role in one process, for a single machine: `node --import tsx workers/all-in-one.ts`
// (settings: workers/env.ts).
import { WORKER_ROLES } from '../src/contracts/task-queues.ts';
import { runWorkerProcess } from './run-worker-process.ts';

await runWorkerProcess({ roles: WORKER_ROLES });
