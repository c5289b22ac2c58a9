import { describe, expect, it } from 'vitest';
import { healingRun, row, tuning } from '../../test/simulate/rows.js';
import { narrateNight, renderNextSteps, renderSummary, renderTable, tableBaseline } from './render.js';
import { parseScenarioText } from './scenario.js';
import { summarize } from './scorer.js';

const scenario = parseScenarioText(`
name: t
seed: 1
nights: 7
twin: {}
workload: { domains: { long-context: { requests: 1 } } }
faults:
  - { kind: prompt_growth, from_night: 4, prompt_tokens: 7000 }
`);

describe('renderTable', () => {
  it('prints a header and one line per night', () => {
    const lines = renderTable(healingRun()).split('\n');
    expect(lines).toHaveLength(8);
    expect(lines[0]).toMatch(/^night\s+date\s+faults\s+phase/);
    expect(lines[5]).toContain('promoted max_model_len=4096');
  });

  it('shows a key metric with its change against the quiet nights before the first fault', () => {
    const rows = [
      row(1),
      row(2),
      row(3, { faults_active: ['slowdown'], metrics: { interactive: { ttft_ms_p95: 300 } } }),
    ];
    expect(tableBaseline(rows).ttft95).toBe(200);
    expect(renderTable(rows).split('\n')[3]).toContain('300 +50%');
  });
});

describe('renderSummary', () => {
  it('says which expectations were not met', () => {
    const text = renderSummary(summarize(healingRun(), { resolved_by_night: 5 }));
    expect(text).toContain('resolved              night 6');
    expect(text).toContain('expectations          NOT met');
    expect(text).toContain('  - resolved_by_night 5: happened on night 6');
  });
});

describe('narrateNight', () => {
  it('tells a quiet night in one line', () => {
    expect(narrateNight(row(2), scenario, row(1))).toEqual([
      'Night 2 (2026-01-06, 03:00): PHASE pass (ttft95 200, tok/s 1000); nothing unusual; exit 0.',
    ]);
  });

  it('announces a fault on the night it starts', () => {
    const lines = narrateNight(row(4, { faults_active: ['prompt_growth'] }), scenario, row(3));
    expect(lines[0]).toBe(
      'Night 4 (2026-01-08, 03:00): from tonight users send longer prompts (long-context: 7000 tokens).',
    );
  });

  it('tells the chain of an eventful night: symptom, flag, candidates, promotion', () => {
    const night = row(5, {
      faults_active: ['prompt_growth'],
      symptoms: ['oom_event'],
      symptom_details: [
        {
          kind: 'oom_event',
          domain: 'long-context',
          metric: 'oom_events',
          severity: 'critical',
          current: 2,
          baseline: 0,
        },
      ],
      escalations_armed: ['oom_event'],
      escalation_details: [{ kind: 'oom_event', symptom_count: 3, reason: '3 oom_event symptoms in 24 h' }],
      tuning: tuning({
        candidate_results: [
          { config: {}, diff: {}, status: 'oom', fitness: 0, control: true },
          { config: {}, diff: { max_model_len: 4096 }, status: 'pass', fitness: 0.8, control: false },
        ],
        promoted_config: { gpu_memory_utilization: 0.9, max_num_seqs: 64, max_model_len: 4096 },
      }),
      exit_code: 2,
    });
    const text = narrateNight(night, scenario, undefined).join('\n');
    expect(text).toContain('symptom oom_event (critical): long-context oom_events 2.0 vs baseline 0.000');
    expect(text).toContain('flag escalate_oom_event armed (3 symptoms in 24 h): 3 oom_event symptoms in 24 h');
    expect(text).toContain('control (current config): oom, fitness 0.000');
    expect(text).toContain('max_model_len=4096: pass, fitness 0.800');
    expect(text).toContain('promoted max_model_len=4096 to production (provisional).');
    expect(text).toContain('exit 2 (fixed)');
  });

  it('tells a validation in words', () => {
    const text = narrateNight(
      row(6, { validation: { promotion_id: 'p1', outcome: 'validated' } }),
      scenario,
      undefined,
    ).join('\n');
    expect(text).toContain('promotion p1: validated: tonight is better than before the promotion');
  });
});

describe('renderNextSteps', () => {
  it('names the state directory and the commands to read it', () => {
    const text = renderNextSteps('/tmp/x');
    expect(text).toContain('/tmp/x');
    expect(text).toContain('nightshift history --state-dir /tmp/x');
  });
});
