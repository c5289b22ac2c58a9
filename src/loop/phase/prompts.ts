/**
 * Prompts the built-in domains send. Filler text is made of common three-letter English words: each is one
 * token in the usual BPE vocabularies (Llama, Qwen, Mistral) when preceded by a space, and exactly one token
 * (four characters with its space) under the twin's documented tokenizer. So a prompt of N filler words is
 * close to N tokens on a real model and on the twin, which long-context relies on to get near max_model_len
 * without crossing it. Everything is drawn from a seeded generator: two runs with the same seed send the
 * same prompts.
 */
import type { Rng } from '../../core/random.js';
import type { Check } from './checks.js';

const WORDS = (
  'the and for are but not you all any can had her was one our out day get has him his how man new now ' +
  'old see two way who boy did its let put say she too use end far few got run set sun top war yes act ' +
  'age ago air art ask bad big box car cut dog eat eye fly fun god gun hit hot job key law lay leg lie ' +
  'low map may mix net oil own pay per red sea sit six sky son ten tie try win yet'
).split(' ');

/** `tokens` words of seeded filler text (≈ tokens on common tokenizers). */
export function fillerText(rng: Rng, tokens: number): string {
  const n = Math.max(1, Math.round(tokens));
  const out: string[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.pick(WORDS);
  return out.join(' ');
}

/** Rough token count of a text when the server did not report usage: one per word or punctuation run. */
export function estimateTokens(text: string): number {
  return (text.match(/[A-Za-z0-9]+|[^\sA-Za-z0-9]+/g) ?? []).length;
}

/** A load prompt: an instruction that keeps the model talking, padded to about `tokens` tokens. */
export function loadPrompt(rng: Rng, tokens: number): string {
  const head = 'Continue this text with a long story:';
  return `${head} ${fillerText(rng, Math.max(1, tokens - estimateTokens(head)))}`;
}

export interface GoldenCase {
  id: string;
  prompt: string;
  check: Check;
  max_tokens?: number;
}

/**
 * The golden family: questions with one checkable answer that any instruction-tuned model gets right at
 * temperature 0, and that the twin answers from the same family (its quality faults flip some of them).
 */
export const GOLDEN: readonly GoldenCase[] = [
  { id: 'add-17-25', prompt: 'What is 17+25? Answer with the number only.', check: { type: 'number', value: 42 } },
  { id: 'add-8-5', prompt: 'What is 8+5? Answer with the number only.', check: { type: 'number', value: 13 } },
  { id: 'add-123-456', prompt: 'What is 123+456? Answer with the number only.', check: { type: 'number', value: 579 } },
  { id: 'add-250-250', prompt: 'What is 250+250? Answer with the number only.', check: { type: 'number', value: 500 } },
  {
    id: 'repeat-fox',
    prompt: 'Repeat exactly: The quick brown fox jumps over the lazy dog.',
    check: { type: 'contains', value: 'The quick brown fox jumps over the lazy dog.' },
  },
  {
    id: 'repeat-night',
    prompt: 'Repeat exactly: Night shift keeps watch until dawn.',
    check: { type: 'contains', value: 'Night shift keeps watch until dawn.' },
  },
  {
    id: 'json-abc',
    prompt: 'Return JSON with keys a, b, c',
    check: { type: 'json_keys', value: ['a', 'b', 'c'] },
  },
  {
    id: 'json-name-age',
    prompt: 'Return JSON with keys name, age',
    check: { type: 'json_keys', value: ['name', 'age'] },
  },
];

/** JSON prompts of structured-output and the schema each answer must match. */
export interface SchemaCase {
  id: string;
  prompt: string;
  schema: Record<string, unknown>;
}

function objectSchema(keys: string[]): Record<string, unknown> {
  return {
    type: 'object',
    properties: Object.fromEntries(keys.map((k) => [k, {}])),
    required: keys,
  };
}

export const SCHEMA_CASES: readonly SchemaCase[] = [
  { id: 'keys-abc', prompt: 'Return JSON with keys a, b, c', schema: objectSchema(['a', 'b', 'c']) },
  { id: 'keys-name-age', prompt: 'Return JSON with keys name, age', schema: objectSchema(['name', 'age']) },
  { id: 'keys-xyz', prompt: 'Return JSON with keys x, y, z', schema: objectSchema(['x', 'y', 'z']) },
  { id: 'keys-id-ok', prompt: 'Return JSON with keys id, ok', schema: objectSchema(['id', 'ok']) },
];
