/**
 * Faults file (YAML): a list of faults, each active from `at` (model seconds since the twin process started,
 * default 0) until `until` (model seconds, default forever). The startup takes its modelled duration
 * (physics.startupTimeS, about 8 s for an 8B model on an L4), so the server is ready at that model time however
 * fast the machine boots node. Faults active at t = 0 also apply to the startup memory check (a memory_hog at 0
 * is memory used by another process when vLLM starts). Reading and validating the file is faults-file.ts (kept
 * apart so a twin without faults loads no YAML or schema library):
 *
 * ```yaml
 * - { kind: memory_hog, gib: 3, at: 600 }          # another process takes 3 GiB of this GPU
 * - { kind: leak, mib_per_min: 50 }                 # this process leaks 50 MiB per model minute while active
 * - { kind: slowdown, factor: 1.4, at: 0, until: 1800 }   # every step takes 1.4× as long (throttling, driver)
 * - { kind: quality, wrong_fraction: 0.2 }          # 20% of golden answers come back wrong
 * - { kind: crash, at: 3600 }                       # the engine dies at t = 3600 s
 * ```
 * An empty file or `[]` means no faults. A leak keeps what it leaked after `until` (memory is not returned).
 * The twin re-reads the file when its mtime changes (polled once a second, real time): an invalid file at
 * startup is an error; an invalid file on reload is a logged warning and the previous faults stay.
 */
import { GiB, MiB } from './catalogue.js';

interface Window {
  /** model seconds since the twin process started */
  at: number;
  until?: number;
}

export type Fault =
  | ({ kind: 'memory_hog'; gib: number } & Window)
  | ({ kind: 'leak'; mib_per_min: number } & Window)
  | ({ kind: 'slowdown'; factor: number } & Window)
  | ({ kind: 'quality'; wrong_fraction: number } & Window)
  | ({ kind: 'crash' } & Window);

const active = (f: Fault, t: number) => t >= f.at && (f.until === undefined || t < f.until);

/** What the faults amount to at model time t (seconds since start). */
export interface FaultState {
  hogBytes: number;
  leakBytes: number;
  slowdown: number;
  wrongFraction: number;
  crash: boolean;
}

export function faultStateAt(faults: readonly Fault[], t: number): FaultState {
  const s: FaultState = { hogBytes: 0, leakBytes: 0, slowdown: 1, wrongFraction: 0, crash: false };
  for (const f of faults) {
    if (f.kind === 'leak') {
      const end = f.until === undefined ? t : Math.min(t, f.until);
      if (end > f.at) s.leakBytes += ((f.mib_per_min * (end - f.at)) / 60) * MiB;
      continue;
    }
    if (!active(f, t)) continue;
    if (f.kind === 'memory_hog') s.hogBytes += f.gib * GiB;
    else if (f.kind === 'slowdown') s.slowdown *= f.factor;
    else if (f.kind === 'quality') s.wrongFraction = Math.max(s.wrongFraction, f.wrong_fraction);
    else if (f.kind === 'crash') s.crash = true;
  }
  return s;
}

/** The earliest crash time at or after t, if any (so the engine can schedule it). */
export function nextCrashAt(faults: readonly Fault[], t: number): number | undefined {
  let best: number | undefined;
  for (const f of faults) {
    if (f.kind !== 'crash') continue;
    const when = Math.max(f.at, t);
    if (f.until !== undefined && when >= f.until) continue;
    if (best === undefined || when < best) best = when;
  }
  return best;
}
