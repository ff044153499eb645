import type { Connection } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes.js';
import { TransportError } from '../util/errors.ts';

/**
 * The custom search attributes of a training run, as typed keys for workflows
 * (`upsertSearchAttributes`) and clients (visibility queries such as `TrainRunId = "quickstart-1"`).
 * The server must know them before a workflow sets them: `anchorage dev-server` registers them at
 * start, `ensureSearchAttributes` adds any that an existing server lacks.
 */
export const TRAIN_RUN_ID = defineSearchAttributeKey('TrainRunId', SearchAttributeType.KEYWORD);
export const TRAIN_STEP = defineSearchAttributeKey('TrainStep', SearchAttributeType.INT);
export const TRAIN_STAGE = defineSearchAttributeKey('TrainStage', SearchAttributeType.KEYWORD);
export const MEAN_REWARD = defineSearchAttributeKey('MeanReward', SearchAttributeType.DOUBLE);
export const MODEL_NAME = defineSearchAttributeKey('ModelName', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTES = [TRAIN_RUN_ID, TRAIN_STEP, TRAIN_STAGE, MEAN_REWARD, MODEL_NAME] as const;

/** The CLI's spelling of each type in `--search-attribute Name=Type`. */
const CLI_TYPE_NAMES: Record<SearchAttributeType, string> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

/** `--search-attribute Name=Type` arguments for `temporal server start-dev`. */
export function searchAttributeFlags(
  keys: readonly { name: string; type: SearchAttributeType }[] = SEARCH_ATTRIBUTES,
): string[] {
  return keys.flatMap((k) => ['--search-attribute', `${k.name}=${CLI_TYPE_NAMES[k.type]}`]);
}

/** The custom search attributes a namespace has, name -> type. */
export async function listCustomSearchAttributes(options: {
  connection: Connection;
  namespace: string;
}): Promise<Map<string, SearchAttributeType>> {
  const { connection, namespace } = options;
  const reply = await connection.operatorService.listSearchAttributes({ namespace });
  const out = new Map<string, SearchAttributeType>();
  for (const [name, code] of Object.entries(reply.customAttributes ?? {})) {
    const type = (Object.keys(CLI_TYPE_NAMES) as SearchAttributeType[]).find(
      (t) => encodeSearchAttributeIndexedValueType(t) === code,
    );
    if (type !== undefined) out.set(name, type);
  }
  return out;
}

/**
 * Registers the project's search attributes that the namespace lacks. An attribute that exists with
 * another type is an error (the server cannot change it; use another namespace or server).
 * Returns the names it added.
 */
export async function ensureSearchAttributes(options: {
  connection: Connection;
  namespace: string;
  keys?: readonly { name: string; type: SearchAttributeType }[];
}): Promise<string[]> {
  const { connection, namespace, keys = SEARCH_ATTRIBUTES } = options;
  const existing = await listCustomSearchAttributes({ connection, namespace });
  const missing: Record<string, number> = {};
  for (const key of keys) {
    const type = existing.get(key.name);
    if (type === undefined) {
      missing[key.name] = encodeSearchAttributeIndexedValueType(key.type) ?? 0;
    } else if (type !== key.type) {
      throw new TransportError(
        `search attribute ${key.name} is registered as ${type} in namespace '${namespace}', expected ${key.type}`,
        { retryable: false },
      );
    }
  }
  const added = Object.keys(missing);
  if (added.length > 0)
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  return added;
}
