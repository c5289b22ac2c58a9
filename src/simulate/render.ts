/**
 * Text for people: the night table and summary of `nightshift simulate`, and the narrated story of
 * `nightshift demo`. Pure: rows in, lines out.
 */
import { isoLocal } from '../core/time.js';
import type { EngineConfig } from '../core/types.js';
import { renderLoopHealth } from '../loop/health-report.js';
import type { Fault, Scenario } from './scenario.js';
import { diffConfig } from './scorer.js';
import type { NightRow, SimulationResult, Summary } from './types.js';

/** The metrics the table shows, each with the domain it is read from. */
const KEY_METRICS: { label: string; domain: string; metric: string; unit: string; digits: number }[] = [
  { label: 'ttft95', domain: 'interactive', metric: 'ttft_ms_p95', unit: 'ms', digits: 0 },
  { label: 'tok/s', domain: 'throughput', metric: 'output_tok_per_s', unit: '', digits: 0 },
  { label: 'pass', domain: 'correctness', metric: 'pass_rate', unit: '', digits: 2 },
];

/** Sum of a metric over every domain (OOM events and errors can show up in any domain). */
function total(row: NightRow, metric: string): number | undefined {
  let sum: number | undefined;
  for (const m of Object.values(row.metrics)) {
    const v = m[metric];
    if (typeof v === 'number') sum = (sum ?? 0) + v;
  }
  return sum;
}

function median(xs: number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Baseline for the table: the median of the quiet nights before the first fault (at most 7). */
export function tableBaseline(rows: NightRow[]): Record<string, number | undefined> {
  const firstFault = rows.findIndex((r) => r.faults_active.length > 0);
  const quiet = (firstFault < 0 ? rows : rows.slice(0, firstFault)).slice(0, 7);
  const out: Record<string, number | undefined> = {};
  for (const k of KEY_METRICS) {
    out[k.label] = median(
      quiet.map((r) => r.metrics[k.domain]?.[k.metric]).filter((v): v is number => typeof v === 'number'),
    );
  }
  return out;
}

function formatMetric(v: number | undefined, base: number | undefined, digits: number): string {
  if (v === undefined) return '-';
  const text = v.toFixed(digits);
  if (base === undefined || base === 0) return text;
  const pct = Math.round(((v - base) / base) * 100);
  return Math.abs(pct) < 5 ? text : `${text} ${pct > 0 ? '+' : ''}${pct}%`;
}

function list(xs: string[]): string {
  return xs.length === 0 ? '-' : [...new Set(xs)].join(',');
}

function configText(c: EngineConfig): string {
  return Object.entries(c)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

export function tuningCell(row: NightRow): string {
  const t = row.tuning;
  if (!t) return '-';
  if (t.promoted_config) return `promoted ${configText(diffConfig(row.config, t.promoted_config))}`;
  return t.candidates > 0 ? `${t.status} (${t.candidates} cand.)` : t.status;
}

function pad(cells: string[], widths: number[]): string {
  return cells
    .map((c, i) => c.padEnd(widths[i] ?? 0))
    .join('  ')
    .trimEnd();
}

export const TABLE_HEADER = [
  'night',
  'date',
  'faults',
  'phase',
  ...KEY_METRICS.map((k) => k.label),
  'oom',
  'symptoms',
  'flags',
  'tuning',
  'validation',
  'exit',
];

export function tableCells(row: NightRow, baseline: Record<string, number | undefined>): string[] {
  return [
    String(row.night),
    row.date,
    list(row.faults_active),
    row.cycle_id === null ? 'error' : (row.phase_status ?? '-'),
    ...KEY_METRICS.map((k) => formatMetric(row.metrics[k.domain]?.[k.metric], baseline[k.label], k.digits)),
    String(total(row, 'oom_events') ?? '-'),
    list(row.symptoms),
    list(row.escalations_armed),
    tuningCell(row),
    row.validation ? row.validation.outcome : '-',
    String(row.exit_code),
  ];
}

/** The night table: one row per night, key metrics with their change against the quiet nights. */
export function renderTable(rows: NightRow[]): string {
  const baseline = tableBaseline(rows);
  const body = rows.map((r) => tableCells(r, baseline));
  const widths = TABLE_HEADER.map((h, i) => Math.max(h.length, ...body.map((cells) => (cells[i] ?? '').length)));
  return [pad(TABLE_HEADER, widths), ...body.map((cells) => pad(cells, widths))].join('\n');
}

const show = (n: number | null) => (n === null ? 'never' : `night ${n}`);

export function renderSummary(s: Summary): string {
  const lines = [
    `first fault           ${show(s.first_fault_night)}`,
    `first degraded        ${show(s.first_degraded_night)}`,
    `first escalation      ${show(s.first_escalation_night)}`,
    `promotion             ${show(s.promotion_night)}`,
    `validated             ${show(s.validated_night)}`,
    `resolved              ${show(s.resolved_night)}`,
    `nights to resolution  ${s.nights_to_resolution ?? '-'}`,
    `escalations           ${s.escalations} (false: ${s.false_escalations})`,
    `promotions            ${s.promotions} (rolled back: ${s.rollbacks})`,
    `canary seconds        ${s.canary_seconds_total}`,
    `wall time             ${s.wall_seconds}s`,
  ];
  if (s.expect.failures.length === 0) lines.push('expectations          met');
  else lines.push('expectations          NOT met', ...s.expect.failures.map((f) => `  - ${f}`));
  return lines.join('\n');
}

export function renderResult(r: SimulationResult, zone = 'UTC'): string {
  return [
    `scenario ${r.scenario} (seed ${r.seed}, ${r.nights.length} nights)`,
    '',
    renderTable(r.nights),
    '',
    renderSummary(r.summary),
    ...(r.loop_health
      ? ['', 'loop health (nightshift report)', renderLoopHealth(r.loop_health, (ms) => isoLocal(ms, zone))]
      : []),
    '',
    `state directory: ${r.state_dir}`,
  ].join('\n');
}

// ---- the narrated demo ----

/** A fault in plain words. */
export function faultWords(f: Fault): string {
  switch (f.kind) {
    case 'memory_hog':
      return `another process takes ${f.gib} GiB of GPU memory${
        f.after_s ? ` ${f.after_s} s after the engine starts` : ''
      }`;
    case 'leak':
      return f.for_s
        ? `the engine's memory grows by ${Math.round((f.mib_per_min * f.for_s) / 60)} MiB after it starts (fragmentation)`
        : `GPU memory leaks ${f.mib_per_min} MiB per minute`;
    case 'slowdown':
      return `the GPU runs ${f.factor}× slower (throttling)`;
    case 'quality':
      return `${Math.round(f.wrong_fraction * 100)}% of answers come back wrong`;
    case 'crash':
      return `production crashes ${f.at_s} s after it starts`;
    case 'prompt_growth':
      return `users send longer prompts (${f.domain}: ${f.prompt_tokens} tokens${
        f.per_night ? `, +${f.per_night} a night` : ''
      })`;
  }
}

function pct(x: number | null | undefined): string {
  if (x === null || x === undefined) return '';
  return ` ${x > 0 ? '+' : ''}${Math.round(x)}%`;
}

function fmt(x: number | null | undefined): string {
  if (x === null || x === undefined) return '?';
  return Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 1 ? x.toFixed(1) : x.toFixed(3);
}

/** One night told as a story: a line for a quiet night, the whole chain for an eventful one. */
export function narrateNight(row: NightRow, scenario: Pick<Scenario, 'faults'>, prev: NightRow | undefined): string[] {
  const out: string[] = [];
  const head = `Night ${row.night} (${row.date}, 03:00)`;
  const started = scenario.faults.filter((f) => f.from_night === row.night);
  for (const f of started) out.push(`${head}: from tonight ${faultWords(f)}.`);
  if (row.cycle_id === null) {
    out.push(`${head}: the cycle failed: ${row.error ?? 'unknown error'}`);
    return out;
  }
  const quiet = row.symptoms.length === 0 && row.escalations_armed.length === 0 && !row.tuning && !row.validation;
  const failed = Object.entries(row.domains).filter(([, d]) => d.status !== 'pass');
  const keyLine = KEY_METRICS.map((k) => {
    const v = row.metrics[k.domain]?.[k.metric];
    return v === undefined ? undefined : `${k.label} ${v.toFixed(k.digits)}`;
  })
    .filter(Boolean)
    .join(', ');
  if (quiet) {
    out.push(`${head}: PHASE ${row.phase_status ?? '-'} (${keyLine}); nothing unusual; exit ${row.exit_code}.`);
    return out;
  }
  out.push(`${head}: PHASE ${row.phase_status ?? '-'} (${keyLine}).`);
  for (const [name, d] of failed)
    out.push(`  PHASE saw ${name}: ${d.status}${d.reason ? ` — ${clip(d.reason, 160)}` : ''}`);
  const oom = total(row, 'oom_events');
  if (oom) out.push(`  ${oom} OOM event(s) in the engine log during PHASE.`);
  for (const s of row.symptom_details.slice(0, 6)) {
    const where = [s.domain, s.metric].filter(Boolean).join(' ');
    out.push(
      `  symptom ${s.kind}${s.severity ? ` (${s.severity})` : ''}: ${where} ${fmt(s.current)} vs baseline ${fmt(
        s.baseline,
      )}${pct(s.delta_pct)}${s.p_value != null ? `, p=${s.p_value.toPrecision(2)}` : ''}`,
    );
  }
  if (row.symptom_details.length > 6) out.push(`  ... and ${row.symptom_details.length - 6} more symptoms`);
  for (const e of row.escalation_details) {
    out.push(
      `  flag escalate_${e.kind} armed${e.symptom_count ? ` (${e.symptom_count} symptoms in 24 h)` : ''}${
        e.reason ? `: ${e.reason}` : ''
      }`,
    );
  }
  if (row.validation) {
    const words: Record<string, string> = {
      validated: 'validated: tonight is better than before the promotion',
      rolled_back: 'rolled back: tonight is worse than before the promotion, the previous config is restored',
    };
    out.push(`  promotion ${row.validation.promotion_id}: ${words[row.validation.outcome] ?? row.validation.outcome}`);
  }
  const t = row.tuning;
  if (t) {
    if (t.candidate_results.length > 0) {
      out.push(`  tuning tried ${t.candidates} candidate(s) on canaries:`);
      for (const c of t.candidate_results) {
        const what = c.control ? 'control (current config)' : configText(c.diff) || '(same as production)';
        out.push(
          `    ${what}: ${c.status}${c.fitness !== null ? `, fitness ${c.fitness.toFixed(3)}` : ''}${
            c.reason ? ` — ${c.reason}` : ''
          }`,
        );
      }
    }
    if (t.promoted_config) {
      out.push(`  promoted ${configText(diffConfig(row.config, t.promoted_config))} to production (provisional).`);
    } else {
      out.push(`  tuning: ${t.status}; production unchanged.`);
    }
  }
  if (row.error) out.push(`  errors: ${row.error}`);
  out.push(`  exit ${row.exit_code}${exitWords(row.exit_code)}`);
  if (prev?.tuning?.promoted_config && !row.validation && row.symptoms.length === 0) {
    out.push('  the promoted config held tonight.');
  }
  return out;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function exitWords(code: number): string {
  return code === 0 ? ' (healthy)' : code === 1 ? ' (degraded)' : code === 2 ? ' (fixed)' : '';
}

/** Where the demo's state is and how to look at it. */
export function renderNextSteps(stateDir: string): string {
  const q = /\s/.test(stateDir) ? `"${stateDir}"` : stateDir;
  return [
    `The loop's state is kept in ${stateDir}. Look at it with:`,
    `  npx nightshift history --state-dir ${q}      # one line per night`,
    `  npx nightshift promotions --state-dir ${q}   # what was promoted, validated or rolled back`,
    `  npx nightshift report --state-dir ${q}       # the loop's health metrics`,
    `  npx nightshift symptoms --since 30d --state-dir ${q}`,
    `  tail -1 ${q}/autonomous_loop/cycles.jsonl | jq .`,
  ].join('\n');
}
