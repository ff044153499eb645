import type { Verifier } from '../types.ts';
import { format } from './format.ts';
import { length } from './length.ts';
import { lexiconRate } from './lexicon-rate.ts';
import { regex } from './regex.ts';

/** The text verifier family: lexicon rates, length, format features, regular expressions. */
export const textVerifiers: Verifier<never>[] = [lexiconRate, length, format, regex] as Verifier<never>[];
