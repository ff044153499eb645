import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ValidationError } from '../../../util/errors.ts';
import { LexiconMatcher, listLexicons, loadLexicon, lexiconMatcher, parseLexicon } from './lexicon.ts';
import { wordTokens } from './tokens.ts';

const lex = (match: 'tokens' | 'content-ngrams', entries: string[]) =>
  parseLexicon({ name: 't', file: 't.txt', text: `# match: ${match}\n${entries.join('\n')}\n` });

test('parseLexicon reads the header and de-duplicates entries', () => {
  const l = parseLexicon({
    name: 'x',
    file: 'x.txt',
    text: '# source: here\n# match: tokens\nDelve\ndelve\n\ntapestry\n',
  });
  assert.equal(l.match, 'tokens');
  assert.equal(l.meta['source'], 'here');
  assert.deepEqual(l.entries, ['delve', 'tapestry']);
});

test('parseLexicon names the file and line of a bad entry or a missing match header', () => {
  assert.throws(
    () => parseLexicon({ name: 'x', file: 'x.txt', text: '# match: tokens\nok\n---\n' }),
    (e: unknown) => e instanceof ValidationError && e.message.startsWith('x.txt:3: expected an entry'),
  );
  assert.throws(
    () => parseLexicon({ name: 'x', file: 'x.txt', text: 'word\n' }),
    (e: unknown) =>
      e instanceof ValidationError && /x\.txt:1, field match: expected a header line/.test(e.message),
  );
});

test('the matcher takes the longest entry at each position and does not double count', () => {
  const m = new LexiconMatcher({
    include: [lex('tokens', ['whisper', 'barely a whisper', 'voice'])],
    stopwords: [],
  });
  const hits = m.match(wordTokens('Her voice, barely a whisper. A whisper!'));
  assert.deepEqual(
    hits.map((h) => h.entry),
    ['voice', 'barely a whisper', 'whisper'],
  );
});

test('content n-grams match across stopwords and folded contractions', () => {
  const m = new LexiconMatcher({
    include: [lex('content-ngrams', ['could help feel'])],
    stopwords: ['i', 'but', 'a'],
  });
  assert.equal(m.match(wordTokens("I couldn't help but feel it")).length, 1);
  assert.equal(m.match(wordTokens('I could feel help')).length, 0);
});

test('exclude removes entries of another lexicon from the count', () => {
  const m = new LexiconMatcher({
    include: [lex('content-ngrams', ['took deep breath', 'mind racing questions'])],
    exclude: [lex('content-ngrams', ['took deep breath'])],
    stopwords: ['a', 'he', 'with'],
  });
  assert.equal(m.size, 1);
  assert.equal(m.match(wordTokens('He took a deep breath, mind racing with questions')).length, 1);
});

test('the shipped lexicons load, with source and licence headers', () => {
  const names = listLexicons();
  for (const name of [
    'antislop-words',
    'antislop-phrases',
    'slop-score-words',
    'slop-score-trigrams',
    'human-ngrams',
  ]) {
    assert.ok(names.includes(name), name);
  }
  for (const name of names) {
    const l = loadLexicon({ name });
    assert.ok(l.entries.length > 0, name);
    assert.ok(l.meta['source'], `${name} has a source`);
    assert.ok(l.meta['licence'], `${name} has a licence`);
  }
  assert.equal(loadLexicon({ name: 'antislop-words' }), loadLexicon({ name: 'antislop-words' }), 'cached');
});

test('an unknown lexicon lists the known ones', () => {
  assert.throws(
    () => loadLexicon({ name: 'no-such-list' }),
    /unknown lexicon 'no-such-list'; known: .*antislop-words/,
  );
});

test('a custom folder without stopwords falls back to the built-in list', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lex-'));
  writeFileSync(join(dir, 'mine.txt'), '# match: content-ngrams\nheart pounding chest\n');
  const m = lexiconMatcher({ include: ['mine'], dir });
  assert.equal(m.match(wordTokens('My heart was pounding in my chest')).length, 1);
});
