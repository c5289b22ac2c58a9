import { describe, expect, it } from 'vitest';
import { FailurePicker, oomEvidence, startupEvidence } from './classify.js';

const GENERIC = 'ERROR 11-29 03:00:02 [core.py:708] EngineCore failed to start.';
const ROOT_CAUSE =
  'ERROR 11-29 03:00:02 [core.py:708] ValueError: No available memory for the cache blocks. Try increasing `gpu_memory_utilization` when initializing the engine.';

describe('startup failure lines', () => {
  it("classifies vLLM's memory messages as startup failures and OOMs", () => {
    expect(startupEvidence(ROOT_CAUSE)?.kind).toBe('startup_oom_no_blocks');
    expect(oomEvidence(ROOT_CAUSE)?.kind).toBe('startup_oom_no_blocks');
  });

  it('does not take a preemption warning for a startup failure', () => {
    const line =
      'WARNING Sequence group 7 is preempted by PreemptionMode.RECOMPUTE mode because there is not enough KV';
    expect(startupEvidence(line)).toBeUndefined();
  });

  it('reports the specific root cause rather than the generic line printed before it', () => {
    const picker = new FailurePicker();
    expect(picker.offer(startupEvidence(GENERIC)!)).toBeUndefined();
    expect(picker.offer(startupEvidence(ROOT_CAUSE)!)?.kind).toBe('startup_oom_no_blocks');
  });

  it('reports the generic line once no more lines will come', () => {
    const picker = new FailurePicker();
    picker.offer(startupEvidence(GENERIC)!);
    expect(picker.due(false)).toBeUndefined();
    expect(picker.due(true)?.kind).toBe('engine_dead');
  });
});
