// Worker entry: registers tsx in this thread (workers do not inherit the loader hooks of a
// programmatic `register()` in the parent), then loads the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./session-host-worker.ts');
