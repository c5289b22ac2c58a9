/**
 * The state directory's layout (ARCHITECTURE.md §4), in one place. Every stage asks here for its paths.
 */
import { join, resolve } from 'node:path';

export class StatePaths {
  readonly root: string;
  constructor(root: string) {
    this.root = resolve(root);
  }
  reportDir(epoch: string): string {
    return join(this.root, 'phase', 'reports', epoch);
  }
  reportsRoot(): string {
    return join(this.root, 'phase', 'reports');
  }
  reportFile(epoch: string): string {
    return join(this.reportDir(epoch), 'phase_report.jsonl');
  }
  samplesFile(epoch: string): string {
    return join(this.reportDir(epoch), 'samples.jsonl');
  }
  signalsDir(): string {
    return join(this.root, 'signals');
  }
  signalFile(epoch: string): string {
    return join(this.signalsDir(), `phase_complete_${epoch}.json`);
  }
  baselinePins(): string {
    return join(this.root, 'baseline', 'pins.json');
  }
  symptomsDir(): string {
    return join(this.root, 'observer', 'symptoms');
  }
  symptomsFile(day: string): string {
    return join(this.symptomsDir(), `${day}.jsonl`);
  }
  flagsDir(): string {
    return join(this.root, 'flags');
  }
  flagFile(kind: string): string {
    return join(this.flagsDir(), `escalate_${kind}.json`);
  }
  /** when a fix last resolved the escalation of a kind (older symptoms no longer arm it) */
  flagResolutionFile(kind: string): string {
    return join(this.flagsDir(), `resolved_${kind}.json`);
  }
  budgetFile(day: string): string {
    return join(this.root, 'maintenance', `budget_${day}.json`);
  }
  runsLedger(): string {
    return join(this.root, 'maintenance', 'runs.jsonl');
  }
  tuningHistory(): string {
    return join(this.root, 'tuning', 'history.jsonl');
  }
  promotionsDir(): string {
    return join(this.root, 'promotions');
  }
  promotionFile(id: string): string {
    return join(this.promotionsDir(), `${id}.json`);
  }
  cyclesLedger(): string {
    return join(this.root, 'autonomous_loop', 'cycles.jsonl');
  }
  journal(): string {
    return join(this.root, 'autonomous_loop', 'journal.jsonl');
  }
  pauseFile(): string {
    return join(this.root, 'control', 'pause.json');
  }
  breakersFile(): string {
    return join(this.root, 'control', 'breakers.json');
  }
  lockFile(): string {
    return join(this.root, 'locks', 'loop.lock');
  }
  /** Logs of instances nightshift starts (canaries, managed production). */
  logsDir(): string {
    return join(this.root, 'logs');
  }
  /** The live config nightshift last applied to production, and the last one known healthy. */
  productionFile(): string {
    return join(this.root, 'production', 'current.json');
  }
}
