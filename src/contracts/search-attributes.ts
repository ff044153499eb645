import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * The custom search attributes of a training run, as typed keys for workflows
 * (`upsertSearchAttributes`) and clients (visibility queries such as `TrainRunId = "quickstart-1"`).
 * The server must know them before a workflow sets them: `anchorage dev-server` registers them at
 * start, `ensureSearchAttributes` (src/temporal/search-attributes.ts) adds any that an existing server
 * lacks. Workflow-safe: imports only `@temporalio/common`.
 */
export const TRAIN_RUN_ID = defineSearchAttributeKey('TrainRunId', SearchAttributeType.KEYWORD);
export const TRAIN_STEP = defineSearchAttributeKey('TrainStep', SearchAttributeType.INT);
export const TRAIN_STAGE = defineSearchAttributeKey('TrainStage', SearchAttributeType.KEYWORD);
export const MEAN_REWARD = defineSearchAttributeKey('MeanReward', SearchAttributeType.DOUBLE);
export const MODEL_NAME = defineSearchAttributeKey('ModelName', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTES = [TRAIN_RUN_ID, TRAIN_STEP, TRAIN_STAGE, MEAN_REWARD, MODEL_NAME] as const;
