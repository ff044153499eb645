import { defineVerifier } from '../types.ts';
import { describeSpan, findSpan, NoParams, pattern } from './spans.ts';

const AI = String.raw`(?:an?\s+)?(?:ai language model|ai assistant|ai model|ai|a\.i\.|artificial intelligence|(?:large\s+)?language model|llm|chatbot|virtual assistant|machine learning model)`;

const PATTERNS = [
  pattern(
    String.raw`\bas\s+an?\s+(?:ai|a\.i\.|artificial intelligence)(?:[\s-]+(?:powered\s+)?(?:language\s+model|model|assistant|chatbot|system|program))?\b`,
  ),
  pattern(String.raw`\bas\s+a\s+(?:large\s+)?language\s+model\b`),
  pattern(
    String.raw`\bI(?:'m|’m|\s+am)\s+(?:just\s+|only\s+|merely\s+|simply\s+|not\s+a\s+human,?\s+(?:but\s+|just\s+)?)?${AI}\b`,
  ),
  pattern(String.raw`\b(?:being|since\s+I(?:'m|’m|\s+am)|because\s+I(?:'m|’m|\s+am))\s+${AI}\b`),
  pattern(
    String.raw`\b(?:as\s+of|based\s+on)\s+my\s+(?:last\s+)?(?:knowledge|training)\s+(?:cutoff|cut-off|update|data)\b`,
  ),
  /作为一个?(?:人工智能|AI|ai|语言模型|大语言模型|大型语言模型|AI助手|人工智能助手)/gu,
  /我(?:只|仅仅)?是一个?(?:人工智能|AI|ai|语言模型|AI助手)/gu,
];

/**
 * Prompts that ask about the model itself, or about AI: a statement of being an AI is then an answer,
 * not a disclaimer.
 */
const ABOUT_MODEL = [
  /\b(?:are|were)\s+you\s+(?:an?\s+)?(?:ai|bot|robot|human|real|person|conscious|sentient|alive|machine|chatgpt|gpt|claude|language model|program)\b/i,
  /\b(?:do|can|could|would|will)\s+you\s+(?:have|feel|experience|think|dream|remember|want|like|love|prefer|believe|know|get|suffer|understand)\b/i,
  /\byour\s+(?:own\s+)?(?:feelings|opinions?|emotions|experiences?|training|creators?|limitations|capabilities|nature|identity|consciousness|preferences|views?|thoughts|beliefs|knowledge cutoff)\b/i,
  /\b(?:what|who)\s+(?:are|made|created|trained|built|designed)\s+you\b/i,
  /\b(?:ai|a\.i\.|artificial intelligence|language models?|llms?|chatbots?|chatgpt|gpt-?\d|assistants?|robots?|androids?|machine learning)\b/i,
  /你是谁|你是(?:不是)?(?:人工智能|AI|机器人|真人)|你的(?:感受|观点|看法|想法)|人工智能|语言模型|机器人/iu,
];

/**
 * Fails an unprompted AI disclaimer ("As an AI language model, ...", "I'm just an AI"). Skipped when
 * the prompt asks about the model or about AI, and inside quotation marks (a robot in a story).
 */
export const aiDisclaimer = defineVerifier<NoParams>({
  name: 'defence.ai-disclaimer',
  description: 'the response carries an AI disclaimer the prompt did not call for',
  params: NoParams,
  verify({ prompt, response }) {
    if (ABOUT_MODEL.some((re) => re.test(prompt))) {
      return { score: 1, reason: 'the prompt asks about the model or about AI; disclaimers are in scope' };
    }
    const span = findSpan({ text: response, prompt, patterns: PATTERNS });
    if (span !== undefined) return { score: 0, reason: `AI disclaimer: ${describeSpan(span)}` };
    return { score: 1, reason: 'no AI disclaimer' };
  },
});
