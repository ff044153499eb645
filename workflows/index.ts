/**
 * The workflow bundle's entry (`workflowsPath`): every workflow the orchestrator worker runs.
 * Workflow code is deterministic and imports no Node built-ins and no activity code (types only).
 */
export { dataSelectionWorkflow } from './data-selection.ts';
export { evaluationWorkflow } from './evaluation.ts';
export { rubricGenerationWorkflow } from './rubric-generation.ts';
export { scheduledEvaluationWorkflow } from './scheduled-evaluation.ts';
export { trainingRunWorkflow } from './training-run.ts';
export { trainingStepWorkflow } from './training-step.ts';
