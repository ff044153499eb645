import { ifevalSuite } from './ifeval-suite.ts';
import { perplexitySuite } from './perplexity-suite.ts';
import { promptsSuite } from './prompts-suite.ts';
import { styleSuite } from './style-suite.ts';
import { registerSuite } from './suite.ts';

/** The suites every `anchorage eval` knows, registered once on import. */
registerSuite('ifeval', (options) => ifevalSuite(options));
registerSuite('style', (options) => styleSuite(options));
registerSuite('perplexity', (options) => perplexitySuite(options));
registerSuite('prompts', (options) => promptsSuite(options));

export { getSuite, suiteNames } from './suite.ts';
