import { describe, expect, it } from 'vitest';
import { tempState } from '../../../test/support/state.js';
import { clearPause, readPause, setPause } from './pause.js';

describe('pause', () => {
  it('pause then resume leaves nothing paused', () => {
    const paths = tempState();
    setPause(paths, { mode: 'act', paused_at: 5, reason: 'GPU maintenance', by: 'ops@host' });
    expect(readPause(paths)).toMatchObject({ schema: 'nightshift.pause/v1', reason: 'GPU maintenance' });
    expect(clearPause(paths)?.reason).toBe('GPU maintenance');
    expect(readPause(paths)).toBeUndefined();
  });

  it('resume when nothing is paused says so', () => {
    expect(clearPause(tempState())).toBeUndefined();
  });
});
