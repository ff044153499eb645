import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRng } from '../../graph/random.ts';
import { JsonConstraint } from './json-constraint.ts';
import { feedJsonText, initialJsonState, isJsonComplete, type JsonState } from './json-machine.ts';
import { ANY_OBJECT, compileJsonSchema } from './json-schema-subset.ts';
import { TokenVocabulary } from './token-vocabulary.ts';

const SCHEMA = compileJsonSchema({
  schema: {
    type: 'object',
    properties: {
      answer: { type: 'string', maxLength: 6 },
      n: { type: 'integer', minimum: 0, maximum: 10 },
      list: { type: 'array', items: { type: 'number' }, maxItems: 3 },
    },
    required: ['answer', 'n'],
  },
});

/** A vocabulary like a BPE one: every single character, then random multi-character pieces. */
function randomVocabulary(seed: number): (string | null)[] {
  const rng = createRng(seed);
  const chars = [...'{}[]",: -.0123456789eabnrstuwlqi\\'];
  const texts: (string | null)[] = ['<eos>', null, ...chars];
  for (let i = 0; i < 400; i++) {
    const length = 2 + rng.int(4);
    texts.push(Array.from({ length }, () => chars[rng.int(chars.length)]).join(''));
  }
  texts.push('"answer', '":"', '", "', '{"', '"}', '10', '100', '1.5');
  return texts;
}

/** The allowed set by brute force: feed every token's text from the state. */
function bruteForce(
  texts: readonly (string | null)[],
  state: JsonState,
  stopIds: readonly number[],
): number[] {
  const out: number[] = [];
  texts.forEach((text, id) => {
    if (stopIds.includes(id)) {
      if (isJsonComplete(state)) out.push(id);
    } else if (text !== null && text !== '' && feedJsonText(state, text) !== undefined) out.push(id);
  });
  return out;
}

test('the sorted walk allows exactly the tokens that brute force allows, along random constrained walks', () => {
  const texts = randomVocabulary(3);
  const stopIds = [0];
  const vocabulary = new TokenVocabulary(texts, stopIds);
  const mask = new Uint8Array(texts.length);
  const rng = createRng(11);
  let checked = 0;
  let completed = 0;
  for (let walk = 0; walk < 20; walk++) {
    let state = initialJsonState(SCHEMA);
    for (let step = 0; step < 60; step++) {
      const count = vocabulary.allowed(state, mask);
      const allowed = [...mask.keys()].filter((id) => mask[id] === 1);
      assert.equal(count, allowed.length);
      assert.deepEqual(allowed, bruteForce(texts, state, stopIds));
      checked++;
      const pick = allowed[rng.int(allowed.length)] as number;
      if (pick === 0) {
        completed++;
        break;
      }
      state = feedJsonText(state, texts[pick] as string) ?? assert.fail('an allowed token must fit');
    }
  }
  assert.ok(checked > 100 && completed > 0, `${checked} states checked, ${completed} walks completed`);
});

test('a JsonConstraint ends in a parsing document: stop tokens only where it is complete, nothing after', () => {
  const texts = ['<eos>', '{', '}', '"', 'a', ':', '{"a":{}}', 'b'];
  const constraint = new JsonConstraint(ANY_OBJECT, new TokenVocabulary(texts, [0]));
  const mask = new Uint8Array(texts.length);
  const allowed = () => {
    constraint.allowed(mask);
    return texts.filter((_, id) => mask[id] === 1);
  };
  assert.deepEqual(allowed(), ['{', '{"a":{}}']);
  constraint.advance(6);
  assert.ok(constraint.complete);
  assert.deepEqual(allowed(), ['<eos>']);
  assert.throws(() => constraint.advance(1), /token 1 does not fit the schema/);
  constraint.advance(0); // a stop token is always taken once allowed
});

test('a state no token can continue allows the stop tokens, so the sequence ends instead of failing', () => {
  const constraint = new JsonConstraint(
    compileJsonSchema({ schema: { const: 'x' } }),
    new TokenVocabulary(['<eos>', '"'], [0]),
  );
  const mask = new Uint8Array(2);
  constraint.allowed(mask);
  assert.deepEqual([...mask], [0, 1]);
  constraint.advance(1);
  assert.equal(constraint.allowed(mask), 1);
  assert.deepEqual([...mask], [1, 0]);
});
