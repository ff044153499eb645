#!/usr/bin/env node
// The `anchorage` command: built, `node dist/src/cli/bin.js`; from the sources, bin/anchorage.mjs
// loads this file through tsx.
import { main } from './main.ts';

await main(process.argv);
