import { JsonConstraint } from '../constrain/json-constraint.ts';
import { ANY_OBJECT, compileJsonSchema } from '../constrain/json-schema-subset.ts';
import { TokenVocabulary } from '../constrain/token-vocabulary.ts';
import { ValidationError } from '../../util/errors.ts';
import type { OpenGenerationRequest, OpenSequence } from './generation-types.ts';
import type { SequenceSpec } from './sequence-intake.ts';

/**
 * Turns the sequences of an open generation's intake messages into the loop's specs, in the
 * session worker: stop ids as a set, constraints compiled against the vocabulary's token texts
 * (built once per generation, on the first constrained sequence).
 */
export class OpenSequences {
  private vocabulary: TokenVocabulary | undefined;

  constructor(private readonly request: OpenGenerationRequest) {}

  spec(sequence: OpenSequence): SequenceSpec {
    const base = {
      index: sequence.key,
      prompt: sequence.prompt,
      stream: sequence.stream,
      params: sequence.params,
      stops: new Set(sequence.stopIds),
    };
    const { constraint } = sequence;
    if (constraint === undefined) return base;
    const node =
      constraint.type === 'json_object'
        ? ANY_OBJECT
        : compileJsonSchema({ schema: constraint.schema, path: 'response_format.json_schema.schema' });
    return { ...base, constraint: new JsonConstraint(node, this.tokenVocabulary()) };
  }

  private tokenVocabulary(): TokenVocabulary {
    if (this.vocabulary !== undefined) return this.vocabulary;
    const { tokenTexts, model, stopIds } = this.request;
    if (tokenTexts === undefined) {
      throw new ValidationError('constrained sequences need the token texts in the open generation request');
    }
    // The model's vocabulary may be padded beyond the tokenizer's: those ids have no text.
    const texts = Array.from({ length: model.vocabSize }, (_, id) => tokenTexts[id] ?? null);
    this.vocabulary = new TokenVocabulary(texts, stopIds);
    return this.vocabulary;
  }
}
