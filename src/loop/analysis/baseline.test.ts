import { describe, expect, it } from 'vitest';
import { tempState } from '../../../test/support/state.js';
import { manualClock } from '../../system/clock.js';
import {
  type Candidate,
  pinBaseline,
  quarantineEpochs,
  readPins,
  releaseEpochs,
  selectBaseline,
  unpinBaseline,
} from './baseline.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 20, 3, 0, 0);
const nights: Candidate[] = Array.from({ length: 10 }, (_, i) => ({ epochId: `e${i}`, ts: T0 + i * DAY }));
const tonight = nights[9] as Candidate;
const noPins = { pinned: [], quarantined: [] };

describe('selectBaseline', () => {
  it('takes the nights of the last 7 days before tonight', () => {
    expect(selectBaseline(nights, tonight, noPins, [], 7).epochs).toEqual(['e2', 'e3', 'e4', 'e5', 'e6', 'e7', 'e8']);
  });

  it('never takes tonight or a later night', () => {
    const later = [...nights, { epochId: 'e10', ts: T0 + 10 * DAY }];
    expect(selectBaseline(later, tonight, noPins, [], 30).epochs).not.toContain('e10');
    expect(selectBaseline(later, tonight, noPins, [], 30).epochs).not.toContain('e9');
  });

  it('leaves out quarantined and excluded epochs, saying why', () => {
    const pins = { pinned: [], quarantined: [{ epoch: 'e5', reason: 'promotion rolled back', at: 0 }] };
    const s = selectBaseline(nights, tonight, pins, ['e8'], 7);
    expect(s.epochs).toEqual(['e2', 'e3', 'e4', 'e6', 'e7']);
    expect(s.excluded).toEqual([
      { epoch: 'e5', reason: 'quarantined: promotion rolled back' },
      { epoch: 'e8', reason: 'excluded by the caller' },
    ]);
  });

  it('uses exactly the pinned set, however old', () => {
    const s = selectBaseline(nights, tonight, { pinned: ['e0', 'e1', 'e9'], quarantined: [] }, [], 7);
    expect(s.epochs).toEqual(['e0', 'e1']);
  });
});

describe('pins.json', () => {
  it('starts empty', () => {
    expect(readPins(tempState())).toEqual({ pinned: [], quarantined: [] });
  });

  it('pins, unpins, quarantines and releases epochs', () => {
    const paths = tempState();
    const clock = manualClock(T0);
    pinBaseline(paths, ['b', 'a', 'a']);
    quarantineEpochs(paths, ['x'], 'bad night', clock);
    quarantineEpochs(paths, ['x', 'y'], 'rolled back', clock);
    expect(readPins(paths)).toEqual({
      pinned: ['a', 'b'],
      quarantined: [
        { epoch: 'x', reason: 'bad night', at: T0 },
        { epoch: 'y', reason: 'rolled back', at: T0 },
      ],
    });
    unpinBaseline(paths);
    releaseEpochs(paths, ['x']);
    expect(readPins(paths)).toEqual({ pinned: [], quarantined: [{ epoch: 'y', reason: 'rolled back', at: T0 }] });
  });
});
