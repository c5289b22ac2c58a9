/**
 * The engines' view of log lines: the one signature table in probe/signatures.ts decides what a line is; an
 * adapter only asks "is this a fatal startup line?" and "is this an OOM?". `FailurePicker` then chooses which
 * line to report: vLLM prints a generic "EngineCore failed to start." before the root cause (the ValueError
 * naming the memory problem) and "Engine core initialization failed" after it, so a generic line is held
 * back briefly in case its specific cause follows.
 */
import type { Evidence } from '../core/types.js';
import { classifyLine, OOM_KINDS } from '../probe/signatures.js';

/** Generic "the engine died" kinds: reported only when no specific cause shows up. */
const GENERIC_KINDS = new Set(['engine_dead']);
/** How long a generic line waits for its specific cause (same traceback: written within milliseconds). */
export const SETTLE_MS = 500;

/** Kinds that end a startup: vLLM's three memory messages, an OOM while profiling, the engine core giving up. */
function isStartupKind(kind: string): boolean {
  return kind.startsWith('startup_') || kind === 'engine_dead' || kind === 'runtime_oom';
}

export function startupEvidence(line: string): Evidence | undefined {
  const hit = classifyLine(line);
  return hit?.kind !== undefined && isStartupKind(hit.kind) ? hit : undefined;
}

export function oomEvidence(line: string): Evidence | undefined {
  const hit = classifyLine(line);
  return hit?.kind !== undefined && OOM_KINDS.has(hit.kind) ? hit : undefined;
}

export class FailurePicker {
  private generic: { evidence: Evidence; at: number } | undefined;

  /** Offer a failure line; returns it when it is specific (report at once), else holds it. */
  offer(evidence: Evidence): Evidence | undefined {
    if (evidence.kind === undefined || !GENERIC_KINDS.has(evidence.kind)) return evidence;
    this.generic ??= { evidence, at: performance.now() };
    return undefined;
  }

  /** The held generic line, once its settle time has passed or no more lines will come (`final`). */
  due(final: boolean): Evidence | undefined {
    if (!this.generic) return undefined;
    return final || performance.now() - this.generic.at >= SETTLE_MS ? this.generic.evidence : undefined;
  }
}
