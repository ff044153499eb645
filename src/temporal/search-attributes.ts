import type { Connection } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes.js';
import { SEARCH_ATTRIBUTES } from '../contracts/search-attributes.ts';
import { TransportError } from '../util/errors.ts';

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
