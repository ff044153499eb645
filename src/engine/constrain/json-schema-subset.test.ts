import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileJsonSchema, MAX_INTEGER_RANGE, UnsupportedSchemaError } from './json-schema-subset.ts';

test('an object schema compiles to its properties in order, with required flags and JSON keys', () => {
  const node = compileJsonSchema({
    schema: {
      type: 'object',
      title: 'ignored',
      properties: {
        name: { type: 'string', maxLength: 8, description: 'ignored too' },
        'say "hi"': { type: 'boolean' },
        tags: { type: 'array', items: { enum: ['a', 1, null] }, maxItems: 2 },
      },
      required: ['name'],
      additionalProperties: false,
    },
  });
  assert.equal(node.kind, 'object');
  assert.ok(node.kind === 'object');
  assert.deepEqual(
    node.properties.map((p) => [p.name, p.key, p.required, p.node.kind]),
    [
      ['name', '"name"', true, 'string'],
      ['say "hi"', '"say \\"hi\\""', false, 'literal'],
      ['tags', '"tags"', false, 'array'],
    ],
  );
  assert.deepEqual(node.properties[2]?.node, {
    kind: 'array',
    items: { kind: 'literal', texts: ['"a"', '1', 'null'] },
    minItems: 0,
    maxItems: 2,
  });
});

test('leaves: integer ranges become their values, booleans and null literals, {} any value', () => {
  assert.deepEqual(compileJsonSchema({ schema: { type: 'integer', minimum: -1, maximum: 2 } }), {
    kind: 'literal',
    texts: ['-1', '0', '1', '2'],
  });
  assert.deepEqual(compileJsonSchema({ schema: { type: 'integer' } }), { kind: 'number', integer: true });
  assert.deepEqual(compileJsonSchema({ schema: { type: 'boolean' } }), {
    kind: 'literal',
    texts: ['true', 'false'],
  });
  assert.deepEqual(compileJsonSchema({ schema: { type: 'null' } }), { kind: 'literal', texts: ['null'] });
  assert.deepEqual(compileJsonSchema({ schema: { const: 'x' } }), { kind: 'literal', texts: ['"x"'] });
  assert.deepEqual(compileJsonSchema({ schema: {} }), { kind: 'any' });
  assert.deepEqual(compileJsonSchema({ schema: { type: 'object' } }), { kind: 'anyObject' });
});

test('schemas outside the subset are refused with the keyword and its path', () => {
  const cases: [unknown, RegExp][] = [
    [
      { type: 'string', pattern: '^a' },
      /schema\.pattern: keyword 'pattern' is not supported with type 'string'/,
    ],
    [{ anyOf: [{ type: 'string' }] }, /schema\.anyOf: keyword 'anyOf' is not supported/],
    [{ type: ['string', 'null'] }, /schema\.type: expected one type name/],
    [{ type: 'date' }, /schema\.type: unknown type 'date'/],
    [{ type: 'constructor' }, /unknown type 'constructor'/],
    [{ type: 'object', properties: { a: { $ref: '#/x' } } }, /schema\.properties\.a\.\$ref/],
    [{ type: 'object', properties: { a: {} }, required: ['b'] }, /'b' is not in properties/],
    [{ type: 'object', properties: {}, additionalProperties: true }, /additionalProperties: only false/],
    [{ type: 'number', minimum: 0 }, /keyword 'minimum' is not supported with type 'number'/],
    [{ type: 'integer', minimum: 0 }, /needs both minimum and maximum/],
    [{ type: 'integer', minimum: 0, maximum: MAX_INTEGER_RANGE }, /at most 1000 values/],
    [{ type: 'string', minLength: 3, maxLength: 2 }, /minLength 3 > maxLength 2/],
    [{ type: 'array', minItems: -1 }, /minItems: expected an integer >= 0/],
    [{ type: 'string', enum: ['a', 2] }, /enum\[1\]: 2 is not of type 'string'/],
    [{ enum: [] }, /enum: expected a non-empty array/],
    [{ enum: [{ a: 1 }] }, /enum\[0\]: only strings, numbers, booleans and null/],
    ['string', /expected a schema object, got string "string"/],
  ];
  for (const [schema, message] of cases) {
    assert.throws(
      () => compileJsonSchema({ schema }),
      (err: unknown) => {
        assert.ok(err instanceof UnsupportedSchemaError, String(err));
        assert.match(err.message, message);
        return true;
      },
    );
  }
  let deep: unknown = { type: 'string' };
  for (let i = 0; i < 20; i++) deep = { type: 'array', items: deep };
  assert.throws(() => compileJsonSchema({ schema: deep }), /nesting deeper than 16/);
});
