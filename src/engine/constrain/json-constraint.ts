import { ValidationError } from '../../util/errors.ts';
import type { TokenConstraint } from '../sampling/token-constraint.ts';
import { feedJsonText, initialJsonState, isJsonComplete, type JsonState } from './json-machine.ts';
import type { SchemaNode } from './json-schema-subset.ts';
import type { TokenVocabulary } from './token-vocabulary.ts';

/**
 * One sequence's JSON constraint: the tokens that keep its text a prefix of a document of the
 * schema are allowed, and the stop tokens once the document is complete. When a state allows no
 * token at all (a vocabulary without a character the schema needs), the stop tokens are allowed so
 * the sequence ends instead of failing the batch; its text then does not parse.
 */
export class JsonConstraint implements TokenConstraint {
  private state: JsonState;

  constructor(
    node: SchemaNode,
    private readonly vocabulary: TokenVocabulary,
  ) {
    this.state = initialJsonState(node);
  }

  /** Whether the text so far is a complete document. */
  get complete(): boolean {
    return isJsonComplete(this.state);
  }

  allowed(out: Uint8Array): number {
    const count = this.vocabulary.allowed(this.state, out);
    if (count > 0) return count;
    for (const id of this.vocabulary.stopIds) out[id] = 1;
    return this.vocabulary.stopIds.length;
  }

  advance(token: number): void {
    if (this.vocabulary.stopIds.includes(token)) return;
    const text = this.vocabulary.textOf(token);
    const next = text === undefined ? undefined : feedJsonText(this.state, text);
    if (next === undefined)
      throw new ValidationError(`constrained decoding: token ${token} does not fit the schema here`);
    this.state = next;
  }
}
