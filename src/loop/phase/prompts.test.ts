import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/random.js';
import { answer, countTokens } from '../../twin/golden.js';
import { runCheck } from './checks.js';
import { fillerText, GOLDEN, loadPrompt } from './prompts.js';

describe('prompts', () => {
  it('filler of N words is N tokens under the twin tokenizer', () => {
    const text = fillerText(seededRng(1), 1000);
    expect(text.split(' ')).toHaveLength(1000);
    expect(Math.abs(countTokens(text) - 1000)).toBeLessThanOrEqual(1);
  });

  it('the same seed gives the same prompts', () => {
    expect(loadPrompt(seededRng(7), 50)).toBe(loadPrompt(seededRng(7), 50));
    expect(loadPrompt(seededRng(7), 50)).not.toBe(loadPrompt(seededRng(8), 50));
  });

  it('every golden case passes against the twin answer family', () => {
    for (const c of GOLDEN) {
      const a = answer({ question: c.prompt, seed: 0, wrongFraction: 0 });
      expect(runCheck(c.check, a.text), c.id).toEqual({ passed: true });
    }
  });

  it('a wrong twin answer fails every golden check', () => {
    for (const c of GOLDEN) {
      const a = answer({ question: c.prompt, seed: 0, wrongFraction: 1 });
      expect(runCheck(c.check, a.text).passed, c.id).toBe(false);
    }
  });
});
