import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DETECTABLE_LANGUAGES, detectLanguage } from './detector.ts';
import { languageProfiles } from './profiles.ts';

// Expected codes are what the Python `langdetect` 1.0.9 returns with DetectorFactory.seed = 0.
describe('detectLanguage (seeded langdetect)', () => {
  it('identifies clear texts in several scripts', () => {
    assert.equal(detectLanguage('The quick brown fox jumps over the lazy dog near the river bank.'), 'en');
    assert.equal(detectLanguage('Le renard brun saute par-dessus le chien paresseux.'), 'fr');
    assert.equal(detectLanguage('これは日本語の文章です。'), 'ja');
    assert.equal(detectLanguage('Это предложение написано на русском языке.'), 'ru');
    assert.equal(detectLanguage('Xin chào thế giới'), 'vi');
  });

  it('gives the reference answer on short, ambiguous words too', () => {
    assert.equal(detectLanguage('Hola'), 'tr');
    assert.equal(detectLanguage('hello'), 'fi');
    assert.equal(detectLanguage('ciao'), 'pt');
    assert.equal(detectLanguage('NASA FBI CIA'), 'en');
  });

  it('returns undefined when the text has no letters to go by', () => {
    assert.equal(detectLanguage('12345 !!!'), undefined);
    assert.equal(detectLanguage(''), undefined);
  });

  it('lists exactly the languages of its profiles', () => {
    assert.deepEqual([...languageProfiles().languages].sort(), [...DETECTABLE_LANGUAGES]);
  });
});
