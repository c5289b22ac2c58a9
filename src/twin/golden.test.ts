import { describe, expect, it } from 'vitest';
import { answer, completionText, countTokens, renderChat, tokenPiece } from './golden.js';

const ask = (question: string, extra: Partial<Parameters<typeof answer>[0]> = {}) =>
  answer({ question, seed: 7, wrongFraction: 0, ...extra });

describe('tokenizer', () => {
  it('counts one token per 4 characters, rounded up', () => {
    expect(countTokens('')).toBe(0);
    expect(countTokens('abcd')).toBe(1);
    expect(countTokens('abcde')).toBe(2);
  });

  it('streams a text as its 4-character pieces', () => {
    expect([0, 1, 2].map((i) => tokenPiece('hello world', i))).toEqual(['hell', 'o wo', 'rld']);
  });

  it('renders chat messages with role markers and an assistant cue', () => {
    expect(renderChat([{ role: 'user', content: 'hi' }])).toBe('<|user|>\nhi\n<|assistant|>\n');
  });
});

describe('golden answers', () => {
  it('answers arithmetic with the number', () => {
    expect(ask('What is 17+25?').text).toContain('42');
    expect(ask('What is 9-12?').text).toContain('-3');
    expect(ask('What is 6*7?').text).toContain('42');
  });

  it('repeats text exactly', () => {
    expect(ask('Repeat exactly: the quick brown fox').text).toBe('the quick brown fox');
  });

  it('returns a JSON object with exactly the keys asked for, string values', () => {
    const obj = JSON.parse(ask('Return JSON with keys a, b and c.').text) as Record<string, unknown>;
    expect(Object.keys(obj)).toEqual(['a', 'b', 'c']);
    expect(Object.values(obj).every((v) => typeof v === 'string')).toBe(true);
  });

  it('returns the json_schema properties for a structured-output request', () => {
    const text = ask('Describe the night', {
      responseFormat: { type: 'json_schema', json_schema: { schema: { properties: { x: {}, y: {} } } } },
    }).text;
    expect(Object.keys(JSON.parse(text))).toEqual(['x', 'y']);
  });

  it('answers anything else with deterministic filler', () => {
    expect(ask('Tell me a story').text).toBe(ask('Tell me a story').text);
    expect(ask('Tell me a story').golden).toBe(false);
  });

  it('gets about the given fraction of golden answers wrong under a quality fault, deterministically', () => {
    let wrong = 0;
    for (let i = 0; i < 400; i++) {
      const a = answer({ question: `What is ${i}+1?`, seed: 1, wrongFraction: 0.25 });
      if (!a.text.includes(String(i + 1))) wrong++;
      expect(a).toEqual(answer({ question: `What is ${i}+1?`, seed: 1, wrongFraction: 0.25 }));
    }
    expect(wrong / 400).toBeGreaterThan(0.18);
    expect(wrong / 400).toBeLessThan(0.32);
  });
});

describe('completion text', () => {
  const ans = { text: 'The answer is 42.', golden: true, wrong: false };
  it('stops at the end of the answer', () => {
    expect(completionText(ans, { maxTokens: 100, ignoreEos: false, seed: 1, question: 'q' })).toEqual({
      text: 'The answer is 42.',
      tokens: 5,
      finishReason: 'stop',
    });
  });

  it('cuts at max_tokens with finish_reason length', () => {
    expect(completionText(ans, { maxTokens: 2, ignoreEos: false, seed: 1, question: 'q' })).toEqual({
      text: 'The answ',
      tokens: 2,
      finishReason: 'length',
    });
  });

  it('runs to max_tokens with ignore_eos', () => {
    const out = completionText(ans, { maxTokens: 40, ignoreEos: true, seed: 1, question: 'q' });
    expect(out.tokens).toBe(40);
    expect(out.finishReason).toBe('length');
    expect(out.text.startsWith('The answer is 42.')).toBe(true);
  });
});
