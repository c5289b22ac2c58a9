// The contract suite proves itself on the stand-in engine, independent of any real engine or the twin.
import { engineContract } from '../../src/targets/contract.js';
import { FAKE_LAUNCH, fakeEngine } from './support.js';

engineContract('fake engine', async () => ({
  engine: fakeEngine,
  launch: FAKE_LAUNCH,
  model: 'fake-model',
  goodConfig: {},
  failingConfig: { fake_mode: 'fail-line', fake_delay_ms: 50 },
  failureLine: /FATAL: fake engine cannot allocate/,
  ports: '19500-19599',
}));
