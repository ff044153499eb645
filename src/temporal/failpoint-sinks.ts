import type { InjectedSinks } from '@temporalio/worker';
import type { FailpointSinks } from '../util/failpoint-names.ts';
import { failpoint } from '../util/failpoints.ts';

/**
 * The worker side of the failpoint sink: workflow code calls `failpoints.reached(name, facts)`
 * (workflows/failpoint.ts) and the worker process reaches the failpoint. The SDK runs sink calls
 * after the workflow activation and before its completion goes to the server, and never while
 * replaying history, so a `kill` there dies with the workflow task unfinished: another worker
 * redoes it. Not awaited: a `pause` must not stop the worker from completing other tasks.
 */
export function failpointSinks(): InjectedSinks<FailpointSinks> {
  return {
    failpoints: {
      reached: {
        fn: (_info, name, facts) => {
          void failpoint(name, facts);
        },
        callDuringReplay: false,
      },
    },
  };
}
