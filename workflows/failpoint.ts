import { proxySinks } from '@temporalio/workflow';
import type { FailpointFacts, FailpointName, FailpointSinks } from '../src/util/failpoint-names.ts';

const { failpoints } = proxySinks<FailpointSinks>();

/**
 * Reaches a failpoint from workflow code (src/util/failpoint-names.ts): through the worker's sink
 * (src/temporal/failpoint-sinks.ts), since workflows do no I/O. Adds no command to the history, so
 * it is replay-safe; a worker without the sink only logs that it is missing.
 */
export function workflowFailpoint(name: FailpointName, facts: FailpointFacts): void {
  failpoints.reached(name, facts);
}
