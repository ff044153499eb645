#!/usr/bin/env node
// Entry point of the `anchorage` command from the sources: loads the TypeScript through tsx. The
// built command is `node dist/src/cli/bin.js` (`npm run build`).
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/bin.ts');
