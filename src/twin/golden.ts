/**
 * The twin's text: a documented tokenizer and deterministic answers.
 *
 * Tokenizer: one token per 4 characters (UTF-16 code units), rounded up; an empty text is 0 tokens. The same rule
 * counts prompts and outputs, and an output is streamed as its 4-character pieces, so `usage.completion_tokens`
 * equals the number of content chunks. A chat prompt is rendered as `<|role|>\ncontent\n` per message followed by
 * `<|assistant|>\n`, then counted the same way (so a shared system prompt is a shared prefix for prefix caching).
 *
 * Golden prompts (answered correctly, so pass-rate checks mean something). The last user message (chat) or the
 * prompt (completions) is matched:
 * - "What is A+B?" (also A-B, A*B; integers)       → "The answer is N." where N is the result
 * - "Repeat exactly: TEXT"                          → TEXT (everything after "Repeat exactly: ", trailing space trimmed)
 * - "Return JSON with keys a, b, c" (also "a, b and c"), or any request with response_format json_object /
 *   json_schema                                    → a JSON object with exactly those keys (json_schema: its
 *                                                      `properties`), string values; with no keys named: {"result": …}
 * - anything else                                   → filler words, deterministic in (seed, prompt), 16–63 tokens
 * A quality fault makes a fraction f of golden answers wrong, deterministically: the answer to a prompt is wrong
 * when hash(seed, prompt) / 2³² < f (arithmetic off by one, repeated text with its last character dropped, JSON
 * missing its last key). Answers end with EOS (finish_reason "stop") unless max_tokens cuts them ("length");
 * with ignore_eos the text continues with filler until max_tokens.
 */
import { hashSeed, seededRng } from '../core/random.js';

export const CHARS_PER_TOKEN = 4;

export function countTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

export function tokenPiece(text: string, index: number): string {
  return text.slice(index * CHARS_PER_TOKEN, (index + 1) * CHARS_PER_TOKEN);
}

export type ChatMessageLike = { role: string; content: unknown };

export function renderChat(messages: readonly ChatMessageLike[]): string {
  let out = '';
  for (const m of messages) out += `<|${m.role}|>\n${contentText(m.content)}\n`;
  return `${out}<|assistant|>\n`;
}

/** OpenAI content may be a string or a list of parts; the twin reads the text parts. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((p) => (p && typeof p === 'object' && typeof (p as { text?: unknown }).text === 'string' ? p.text : ''))
      .join('');
  }
  return '';
}

export interface AnswerInput {
  /** the text the golden family is matched against: last user message or the completion prompt */
  question: string;
  seed: number;
  /** quality fault: fraction of golden answers that are wrong (0 = none) */
  wrongFraction: number;
  responseFormat?: { type?: string; json_schema?: { schema?: { properties?: Record<string, unknown> } } };
}

export interface Answer {
  text: string;
  golden: boolean;
  wrong: boolean;
}

const WORDS = [
  'the',
  'model',
  'serves',
  'tokens',
  'while',
  'night',
  'shift',
  'keeps',
  'watch',
  'over',
  'latency',
  'and',
  'memory',
  'batches',
  'grow',
  'cache',
  'blocks',
  'fill',
  'quietly',
  'stream',
  'answers',
  'arrive',
  'steady',
  'signal',
];

export function fillerText(seed: number, prompt: string, tokens: number): string {
  const rng = seededRng(hashSeed(`${seed}:filler:${prompt}`));
  let text = '';
  const wantChars = tokens * CHARS_PER_TOKEN;
  while (text.length < wantChars) text += `${rng.pick(WORDS)} `;
  return text.slice(0, wantChars);
}

function isWrong(seed: number, question: string, fraction: number): boolean {
  if (fraction <= 0) return false;
  return hashSeed(`${seed}:quality:${question}`) / 4294967296 < fraction;
}

function jsonKeys(input: AnswerInput): string[] | undefined {
  const props = input.responseFormat?.json_schema?.schema?.properties;
  if (props && typeof props === 'object') return Object.keys(props);
  const m = /Return JSON with keys\s+([\w\s,]+?)(?:[.?!:]|$)/i.exec(input.question);
  if (m?.[1]) {
    return m[1]
      .split(/,|\band\b/)
      .map((k) => k.trim())
      .filter((k) => k.length > 0);
  }
  const type = input.responseFormat?.type;
  if (type === 'json_object' || type === 'json_schema') return [];
  return undefined;
}

/** The deterministic answer to a question (see the module doc). */
export function answer(input: AnswerInput): Answer {
  const q = input.question;
  const wrong = isWrong(input.seed, q, input.wrongFraction);
  const arith = /What is\s+(-?\d+)\s*([+\-*])\s*(-?\d+)\s*\?/i.exec(q);
  if (arith) {
    const a = BigInt(arith[1] as string);
    const b = BigInt(arith[3] as string);
    const op = arith[2];
    let n = op === '+' ? a + b : op === '-' ? a - b : a * b;
    if (wrong) n += 1n;
    return { text: `The answer is ${n}.`, golden: true, wrong };
  }
  const repeat = /Repeat exactly:\s?([\s\S]*)$/.exec(q);
  if (repeat) {
    let text = (repeat[1] ?? '').replace(/\s+$/, '');
    if (wrong) text = text.slice(0, -1);
    return { text, golden: true, wrong };
  }
  const keys = jsonKeys(input);
  if (keys !== undefined) {
    const names = keys.length > 0 ? keys : ['result'];
    const rng = seededRng(hashSeed(`${input.seed}:json:${q}`));
    const obj: Record<string, string> = {};
    const kept = wrong && names.length > 1 ? names.slice(0, -1) : names;
    for (const k of kept) obj[k] = `${rng.pick(WORDS)}-${rng.int(1, 999)}`;
    let text = JSON.stringify(obj);
    if (wrong && names.length === 1) text = text.slice(0, -1);
    return { text, golden: true, wrong };
  }
  const rng = seededRng(hashSeed(`${input.seed}:len:${q}`));
  return { text: fillerText(input.seed, q, rng.int(16, 63)), golden: false, wrong: false };
}

/**
 * The output a request gets: the answer, cut at max_tokens, or extended with filler under ignore_eos.
 * Returns the full text and how it finished; tokens are its 4-character pieces.
 */
export function completionText(
  ans: Answer,
  opts: { maxTokens: number; ignoreEos: boolean; seed: number; question: string },
): { text: string; tokens: number; finishReason: 'stop' | 'length' } {
  const natural = countTokens(ans.text);
  if (opts.ignoreEos) {
    let text = ans.text;
    if (natural < opts.maxTokens) {
      // pad the answer to a whole token, then filler
      const padded = text.padEnd(natural * CHARS_PER_TOKEN, ' ');
      text = padded + fillerText(opts.seed, opts.question, opts.maxTokens - natural);
    }
    text = text.slice(0, opts.maxTokens * CHARS_PER_TOKEN);
    return { text, tokens: countTokens(text), finishReason: 'length' };
  }
  if (natural > opts.maxTokens) {
    const text = ans.text.slice(0, opts.maxTokens * CHARS_PER_TOKEN);
    return { text, tokens: countTokens(text), finishReason: 'length' };
  }
  return { text: ans.text, tokens: natural, finishReason: 'stop' };
}
