import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRng } from '../../graph/random.ts';
import {
  feedJson,
  feedJsonText,
  initialJsonState,
  isJsonComplete,
  MAX_NUMBER_CHARS,
} from './json-machine.ts';
import { compileJsonSchema, type SchemaNode } from './json-schema-subset.ts';

const PERSON = compileJsonSchema({
  schema: {
    type: 'object',
    properties: {
      name: { type: 'string', minLength: 1, maxLength: 12 },
      age: { type: 'integer' },
      score: { type: 'number' },
      mood: { enum: ['happy', 'sad', 1, 12, null] },
      tags: { type: 'array', items: { type: 'string', maxLength: 4 }, minItems: 1, maxItems: 3 },
      ok: { type: 'boolean' },
      extra: {},
    },
    required: ['name', 'age'],
  },
});

const complete = (node: SchemaNode, text: string) => {
  const s = feedJsonText(initialJsonState(node), text);
  return s !== undefined && isJsonComplete(s);
};
const prefixOk = (node: SchemaNode, text: string) => feedJsonText(initialJsonState(node), text) !== undefined;

test('compact documents of the schema are accepted, with one optional space after : and ,', () => {
  for (const text of [
    '{"name":"Ann","age":3}',
    '{"name": "Ann", "age": -30, "score": 1.5e-3, "mood": 12, "tags": ["a", "\\u00e9"], "ok": false}',
    '{"name":"x\\n\\"y","age":0,"mood":null,"extra":{"k":[1,{"z":true}],"s":"t"}}',
    '{"name":"🙂","age":1,"score":0,"mood":"sad"}',
  ]) {
    assert.ok(complete(PERSON, text), text);
    JSON.parse(text);
  }
  assert.ok(
    complete(compileJsonSchema({ schema: { type: 'number' } }), '-0.25'),
    'a number may end the document',
  );
  assert.ok(complete(compileJsonSchema({ schema: { enum: [1, 12] } }), '1'));
  assert.ok(complete(compileJsonSchema({ schema: { enum: [1, 12] } }), '12'));
});

test('texts that leave the schema are refused at the first character that leaves it', () => {
  const refused: [string, string][] = [
    ['{"age":3,"name":"Ann"}', 'properties out of order (a required one skipped)'],
    ['{"name":"Ann"}', 'a required property missing'],
    ['{"name":"Ann","age":3,"other":1}', 'a property the schema does not list'],
    ['{"name":"","age":3}', 'shorter than minLength'],
    ['{"name":"abcdefghijklm","age":3}', 'longer than maxLength'],
    ['{"name":"a","age":3.5}', 'a fraction in an integer'],
    ['{"name":"a","age":01}', 'a leading zero'],
    ['{"name":"a","age":3,"tags":[]}', 'fewer than minItems'],
    ['{"name":"a","age":3,"tags":["a","b","c","d"]}', 'more than maxItems'],
    ['{"name":"a","age":3,"mood":"glad"}', 'outside the enum'],
    ['{"name":"a","age":3,"mood":123}', 'an enum number extended'],
    ['{"name":"a",  "age":3}', 'two spaces'],
    ['{ "name":"a","age":3}', 'a space after {'],
    ['{"name":"a","age":3}\n', 'anything after the document'],
    ['{"name":"a\tb","age":3}', 'a raw control character in a string'],
    ['{"name":"\\x","age":3}', 'an unknown escape'],
    ['{"name":"a","age":3,}', 'a trailing comma'],
    [`{"name":"a","age":${'1'.repeat(MAX_NUMBER_CHARS + 1)}}`, 'a number longer than MAX_NUMBER_CHARS'],
  ];
  for (const [text, why] of refused) assert.equal(complete(PERSON, text), false, why);
  // Prefixes stay open until they break the schema.
  assert.ok(prefixOk(PERSON, '{"name":"Ann","a'));
  assert.ok(!prefixOk(PERSON, '{"name":"Ann","x'));
  assert.ok(prefixOk(PERSON, '{"na'));
  assert.ok(!isJsonComplete(feedJsonText(initialJsonState(PERSON), '{"na') ?? assert.fail()));
});

/** Whether a parsed value is a document of the schema (properties in order, as generated). */
function conforms(node: SchemaNode, v: unknown): boolean {
  switch (node.kind) {
    case 'any':
      return true;
    case 'anyObject':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    case 'literal':
      return node.texts.includes(JSON.stringify(v));
    case 'number':
      return typeof v === 'number' && (!node.integer || Number.isInteger(v));
    case 'string': {
      if (typeof v !== 'string') return false;
      const length = [...v].length;
      return length >= node.minLength && length <= node.maxLength;
    }
    case 'array':
      return (
        Array.isArray(v) &&
        v.length >= node.minItems &&
        v.length <= node.maxItems &&
        v.every((x) => conforms(node.items, x))
      );
    case 'object': {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
      const keys = Object.keys(v);
      const names = node.properties.map((p) => p.name);
      const order = keys.map((k) => names.indexOf(k));
      return (
        order.every((i, j) => i >= 0 && (j === 0 || i > (order[j - 1] as number))) &&
        node.properties.every(
          (p) =>
            (p.required ? p.name in v : true) &&
            (!(p.name in v) || conforms(p.node, (v as Record<string, unknown>)[p.name])),
        )
      );
    }
  }
}

test('random walks through the machine end in documents that parse and conform to the schema', () => {
  const alphabet = [...'{}[]",: -.0123456789E+abcdefghijklmnopqrstuvwxyz\\\n'].map((c) => c.charCodeAt(0));
  const closers = new Set([...'}]"'].map((c) => c.charCodeAt(0)));
  const rng = createRng(7);
  let finished = 0;
  for (let walk = 0; walk < 300; walk++) {
    let state = initialJsonState(PERSON);
    let text = '';
    for (let step = 0; step < 400 && !(isJsonComplete(state) && rng.uniform() < 0.5); step++) {
      const options = alphabet.flatMap((c) => {
        const next = feedJson(state, c);
        return next === undefined ? [] : [{ c, next }];
      });
      if (options.length === 0) break;
      const closing = options.filter((o) => closers.has(o.c));
      const pool = closing.length > 0 && rng.uniform() < 0.35 ? closing : options;
      const pick = pool[rng.int(pool.length)] as (typeof options)[number];
      state = pick.next;
      text += String.fromCharCode(pick.c);
    }
    if (!isJsonComplete(state)) continue;
    finished++;
    const value = JSON.parse(text) as unknown;
    assert.ok(conforms(PERSON, value), text);
  }
  assert.ok(finished >= 100, `only ${finished} of 300 walks finished a document`);
});
