/**
 * `nightshift scrape URL|FILE [--json]`: the engine signals nightshift reads from a /metrics endpoint or a
 * saved Prometheus exposition, normalized across vLLM versions (and llama-server / SGLang names).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { UsageError } from '../core/errors.js';
import { parseExposition, type ScrapedSignals, scrapeMetrics } from '../probe/scrape.js';
import { action, type Register } from './command.js';
import { printJson } from './context.js';

const ORDER: (keyof ScrapedSignals)[] = [
  'kv_usage',
  'requests_running',
  'requests_waiting',
  'preemptions',
  'prompt_tokens',
  'generation_tokens',
  'prefix_cache_queries',
  'prefix_cache_hits',
  'prefix_cache_hit_rate',
];

/** Fractions (vLLM's `*_perc` gauges are 0..1) read as percentages. */
const PERCENT = new Set<keyof ScrapedSignals>(['kv_usage', 'prefix_cache_hit_rate']);

function formatSignal(key: keyof ScrapedSignals, v: number): string {
  if (PERCENT.has(key)) {
    const pct = v * 100;
    return `${pct === 0 || pct >= 0.1 ? pct.toFixed(1) : pct.toPrecision(2)}%`;
  }
  return Number.isInteger(v) ? String(v) : v.toPrecision(4);
}

export function renderSignals(s: ScrapedSignals): string {
  if (!s.available) return `metrics unavailable: ${s.reason ?? 'no /metrics'}`;
  if (s.flavour === 'unknown' || s.flavour === undefined) {
    return 'metrics readable, but no engine metric nightshift knows (vLLM, llama-server or SGLang names)';
  }
  const lines = [`available: yes (${s.flavour}${s.engines ? `, ${s.engines} engine(s)` : ''})`];
  for (const key of ORDER) {
    const v = s[key];
    if (typeof v === 'number') lines.push(`  ${key.padEnd(22)} ${formatSignal(key, v)}`);
  }
  if (s.request_success) {
    const parts = Object.entries(s.request_success).map(([k, v]) => `${k}=${v}`);
    lines.push(`  ${'request_success'.padEnd(22)} ${parts.join(' ') || '(none)'}`);
  }
  for (const key of ['ttft_seconds', 'itl_seconds', 'e2e_seconds', 'queue_seconds'] as const) {
    const h = s[key];
    if (h) {
      const mean = h.count > 0 ? `mean ${((h.sum / h.count) * 1000).toFixed(1)} ms` : 'no observations';
      lines.push(`  ${key.padEnd(22)} ${mean} over ${h.count}`);
    }
  }
  return lines.join('\n');
}

export const registerScrape: Register = (program, exit, io) => {
  program
    .command('scrape')
    .description('Print the normalized engine signals of a /metrics URL or a saved exposition file')
    .argument('<source>', 'http(s) URL of the engine (or its /metrics), or a file')
    .option('--json', 'print as JSON')
    .action(
      action(exit, io, async (ctx, source: string) => {
        let signals: ScrapedSignals;
        if (/^https?:\/\//i.test(source)) signals = await scrapeMetrics(source);
        else {
          if (!existsSync(source))
            throw new UsageError(`scrape: no such file ${source}`, 'pass a URL or a saved /metrics file');
          if (statSync(source).isDirectory())
            throw new UsageError(`scrape: ${source} is a directory`, 'pass a URL or a saved /metrics file');
          signals = parseExposition(readFileSync(source, 'utf8'));
        }
        if (ctx.json) printJson(io, signals);
        else io.out(renderSignals(signals));
        return 0;
      }),
    );
};
