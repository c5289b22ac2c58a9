import { describe, expect, it } from 'vitest';
import { type CycleRecord, newCycleRecord } from './cycle-record.js';
import { computeLoopHealth, renderLoopHealth } from './health-report.js';

const DAY = 86_400_000;
const H = 3_600_000;

/** A healthy night's cycle record, with `over` applied. */
function cycle(day: number, over: Partial<CycleRecord> = {}): CycleRecord {
  return {
    ...newCycleRecord({ mode: 'act', cycle_id: `loop_${day}`, timestamp: '', started_at: day * DAY + 3 * H }),
    phase_epoch_id: `phase_${day}`,
    phase_status: 'pass',
    phase_duration_s: 600,
    analysis_status: 'healthy',
    production_healthy: true,
    phase_metrics: { oom_events: 0, ttft_ms_p95: 200, pass_rate: 1 },
    total_duration_s: 700,
    ...over,
  };
}

const input = (cycles: CycleRecord[], extra: Partial<Parameters<typeof computeLoopHealth>[0]> = {}) => ({
  cycles,
  promotions: [],
  symptoms: [],
  since: 0,
  until: 40 * DAY,
  escalationWindowMs: DAY,
  ...extra,
});

const metric = (h: ReturnType<typeof computeLoopHealth>, name: string) => h.metrics.find((m) => m.name === name);

describe('loop health report', () => {
  it('an empty state says too few cycles instead of dividing by zero', () => {
    const h = computeLoopHealth(input([]));
    expect(h.cycles).toBe(0);
    for (const m of h.metrics) {
      expect(m.value).toBeNull();
      expect(m.met).toBeNull();
    }
    expect(metric(h, 'degraded_cycles_pct')?.display).toMatch(/too few cycles/);
    expect(renderLoopHealth(h, String)).toMatch(/too few cycles/);
  });

  it('percent of cycles with degradation signals, beside its target', () => {
    const cycles = Array.from({ length: 10 }, (_, i) => cycle(i, i === 3 ? { degradation_signals: 2 } : {}));
    const m = metric(computeLoopHealth(input(cycles)), 'degraded_cycles_pct');
    expect(m?.value).toBe(10);
    expect(m?.met).toBe(false);
    expect(m?.target).toBe('< 10 %');
  });

  it('an escalation fixed by a validated promotion counts as resolved, and its time from first symptom', () => {
    const cycles = Array.from({ length: 10 }, (_, i) =>
      cycle(
        i,
        i === 4
          ? {
              escalations_armed: ['latency'],
              config_tuning_triggered: true,
              config_tuning_trigger: { kind: 'latency', severity: 'warning' },
              config_tuning_promoted: true,
              promotion_id: 'p1',
            }
          : i === 6
            ? { escalations_armed: ['oom'], config_tuning_status: 'no_improvement' }
            : {},
      ),
    );
    const h = computeLoopHealth(
      input(cycles, {
        promotions: [
          {
            promotion_id: 'p1',
            state: 'validated',
            kind: 'latency',
            created_at: 4 * DAY + 4 * H,
            validated_at: 5 * DAY + 4 * H,
          },
        ],
        symptoms: [{ kind: 'latency', ts: 4 * DAY + 3 * H }],
      }),
    );
    expect(metric(h, 'escalations_resolved_pct')?.value).toBe(50);
    // First symptom at 03:00 on day 4, the fix live at 04:00 (validated a day later): one hour.
    const ttr = metric(h, 'time_to_resolution_h');
    expect(ttr?.value).toBe(1);
    expect(ttr?.met).toBe(true);
  });

  it('a period whose nights measured no pass rate says so', () => {
    const cycles = Array.from({ length: 6 }, (_, i) => cycle(i, { phase_metrics: { ttft_ms_p95: 200 } }));
    expect(metric(computeLoopHealth(input(cycles)), 'pass_rate')?.display).toMatch(/not measured/);
  });

  it('trends compare the later half of the period with the earlier half', () => {
    const cycles = Array.from({ length: 8 }, (_, i) =>
      cycle(i, { phase_metrics: { oom_events: i < 4 ? 2 : 0, ttft_ms_p95: i < 4 ? 200 : 300, pass_rate: 0.99 } }),
    );
    const h = computeLoopHealth(input(cycles));
    expect(metric(h, 'oom_events_trend')?.met).toBe(true);
    expect(metric(h, 'ttft_ms_p95_trend')?.met).toBe(false);
    expect(metric(h, 'pass_rate')?.met).toBe(true);
  });
});
