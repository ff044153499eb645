import { UnknownNameError, ValidationError } from '../../util/errors.ts';
import { BUILTIN_ESTIMATORS } from './estimators.ts';
import type { AdvantageEstimator, AdvantageInput, AdvantageResult } from './types.ts';

/** Advantage estimators by name. Names are unique: registering a taken name fails. */
export class AdvantageRegistry {
  private readonly byName = new Map<string, AdvantageEstimator>();

  constructor(estimators: readonly AdvantageEstimator[] = []) {
    for (const e of estimators) this.register(e);
  }

  register(estimator: AdvantageEstimator): void {
    if (this.byName.has(estimator.name)) {
      throw new ValidationError(`advantage estimator '${estimator.name}' is already registered`);
    }
    this.byName.set(estimator.name, estimator);
  }

  get(name: string): AdvantageEstimator {
    const e = this.byName.get(name);
    if (e === undefined) throw new UnknownNameError('advantage estimator', name, this.names());
    return e;
  }

  names(): string[] {
    return [...this.byName.keys()].sort();
  }
}

/** The registry holding the built-in estimators (grpo, dr-grpo, rloo, reinforce++, reinforce++-baseline). */
export function defaultAdvantageRegistry(): AdvantageRegistry {
  return new AdvantageRegistry(BUILTIN_ESTIMATORS);
}

const shared = defaultAdvantageRegistry();

/** Adds an estimator to the process-wide registry (fails if the name is taken). */
export function registerAdvantageEstimator(estimator: AdvantageEstimator): void {
  shared.register(estimator);
}

/** An estimator of the process-wide registry; unknown names fail listing the known ones. */
export function getAdvantageEstimator(name: string): AdvantageEstimator {
  return shared.get(name);
}

export function listAdvantageEstimators(): string[] {
  return shared.names();
}

/** Computes advantages with the estimator registered under `estimator`. */
export function computeAdvantages(options: { estimator: string } & AdvantageInput): AdvantageResult {
  return shared.get(options.estimator).compute(options);
}
