import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { feedJsonText, initialJsonState, isJsonComplete } from '../../engine/constrain/json-machine.ts';
import { compileJsonSchema } from '../../engine/constrain/json-schema-subset.ts';
import { responseFormat } from './chat-client.ts';
import { parseCriterionReply, parseRubricReply } from './reply.ts';
import { judgeCriterion } from './test-fixtures.ts';
import { criterionVerdictSchema, rubricVerdictSchema, type VerdictSchema } from './verdict-schema.ts';

// The verdict schemas must be inside the subset `anchorage serve` decodes under (src/serve/README.md):
// compiled by the same code that answers 400 invalid_json_schema, and fed through the same JSON
// machine that masks tokens, a verdict of the prompt's shape is a complete document and others are not.

/** Whether `text` is a complete document of `schema` for `anchorage serve`'s constrained decoding. */
function servedAccepts(schema: VerdictSchema, text: string): boolean {
  const state = feedJsonText(initialJsonState(compileJsonSchema({ schema: schema.schema })), text);
  return state !== undefined && isJsonComplete(state);
}

const tone = judgeCriterion('tone');
const facts = judgeCriterion('facts', {
  tiers: [
    { score: 0, label: 'wrong', description: '' },
    { score: 1, label: 'right', description: '' },
  ],
});

describe('verdict schemas', () => {
  test("per criterion: reason then one of the criterion's tier labels, nothing else", () => {
    const schema = criterionVerdictSchema({ criterion: tone });
    assert.match(schema.name, /^[A-Za-z0-9_-]{1,64}$/);
    const good = '{"reason":"Polite and direct.","tier":"good"}';
    assert.ok(servedAccepts(schema, good));
    assert.ok(parseCriterionReply({ content: good, criterion: tone }).ok, 'what the schema allows parses');
    assert.ok(!servedAccepts(schema, '{"reason":"x","tier":"excellent"}'), 'a label not of the criterion');
    assert.ok(!servedAccepts(schema, '{"tier":"good","reason":"x"}'), 'tier before reason');
    assert.ok(!servedAccepts(schema, '{"reason":"x"}'), 'the tier is required');
    assert.ok(!servedAccepts(schema, '{"reason":"x","tier":"good","extra":1}'), 'no other property');
    assert.ok(!servedAccepts(schema, '{"reason":"x","tier":2}'), 'the tier by label, not score');
  });

  test('without reasonMaxChars no length keyword (OpenAI strict mode refuses them); with it the reason is bounded', () => {
    const open = JSON.stringify(criterionVerdictSchema({ criterion: tone }).schema);
    assert.doesNotMatch(open, /Length|Items/);
    const bounded = criterionVerdictSchema({ criterion: tone, reasonMaxChars: 20 });
    assert.ok(servedAccepts(bounded, `{"reason":"${'a'.repeat(20)}","tier":"poor"}`));
    assert.ok(!servedAccepts(bounded, `{"reason":"${'a'.repeat(21)}","tier":"poor"}`), 'beyond maxLength');
    assert.ok(!servedAccepts(bounded, '{"reason":"","tier":"poor"}'), 'an empty reason');
  });

  test('rubric: an entry per criterion with id, reason and a label; bounded, exactly one entry each', () => {
    const schema = rubricVerdictSchema({ criteria: [tone, facts] });
    const reply =
      '{"verdicts":[{"criterion":"tone","reason":"Calm.","tier":"fair"},{"criterion":"facts","reason":"Says 100 C.","tier":"right"}]}';
    assert.ok(servedAccepts(schema, reply));
    const parsed = parseRubricReply({ content: reply, criteria: [tone, facts] });
    assert.ok([...parsed.values()].every((p) => p.ok));
    assert.ok(!servedAccepts(schema, '{"verdicts":[{"criterion":"style","reason":"x","tier":"good"}]}'));
    const bounded = rubricVerdictSchema({ criteria: [tone, facts], reasonMaxChars: 100 });
    assert.ok(servedAccepts(bounded, reply));
    assert.ok(
      !servedAccepts(bounded, '{"verdicts":[{"criterion":"tone","reason":"Calm.","tier":"fair"}]}'),
      'one entry short',
    );
  });

  test('response_format per configured format: the named schema with strict, a JSON object with or without the schema, or none', () => {
    const schema = criterionVerdictSchema({ criterion: tone });
    assert.deepEqual(responseFormat({ config: { responseFormat: 'json_schema' }, schema }), {
      type: 'json_schema',
      json_schema: { name: 'criterion_verdict', schema: schema.schema, strict: true },
    });
    assert.deepEqual(responseFormat({ config: { responseFormat: 'json_object_schema' }, schema }), {
      type: 'json_object',
      schema: schema.schema,
    });
    assert.deepEqual(responseFormat({ config: { responseFormat: 'json_object' }, schema }), {
      type: 'json_object',
    });
    assert.equal(responseFormat({ config: { responseFormat: 'off' }, schema }), undefined);
  });
});
