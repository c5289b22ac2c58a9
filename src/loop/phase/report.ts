/**
 * Writing and sealing a PHASE report, and reading it back only when its seal holds.
 * Seal = the completion signal, written atomically after the report and samples are fsynced, carrying their
 * SHA256. A reader verifies signal → hash → records, and refuses anything missing, incomplete or tampered.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { NightshiftError } from '../../core/errors.js';
import { overallStatus, type PhaseRecord, type PhaseSignal, type SampleLine } from '../../core/report.js';
import { schemaId } from '../../core/types.js';
import { appendJsonl, appendJsonlBatch, readJson, writeJsonAtomic } from '../../store/atomic.js';
import type { StatePaths } from '../../store/paths.js';

export class ReportError extends NightshiftError {
  readonly file: string;
  constructor(code: 'missing' | 'incomplete' | 'tampered' | 'corrupt', file: string, message: string) {
    super(`report.${code}`, `report: ${message} (${file})`, {
      exitCode: 1,
      hint: 'run `nightshift phase run` again for a fresh report; a tampered one is never trusted',
    });
    this.file = file;
  }
}

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

export function configHash(config: Record<string, unknown>): string {
  const sorted = Object.fromEntries(Object.entries(config).sort(([a], [b]) => a.localeCompare(b)));
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex').slice(0, 16);
}

/** Appends records as domains finish; `seal` closes the epoch. */
export class ReportWriter {
  private readonly statuses: PhaseRecord['status'][] = [];
  private readonly domains: string[] = [];
  constructor(
    private readonly paths: StatePaths,
    readonly epochId: string,
  ) {}

  get reportPath(): string {
    return this.paths.reportFile(this.epochId);
  }

  /** Append one domain's record, its samples first (so a record never points at samples that are not there). */
  add(record: Omit<PhaseRecord, 'schema' | 'samples_file' | 'samples_count'>, samples: SampleLine[] = []): PhaseRecord {
    const samplesFile = this.paths.samplesFile(this.epochId);
    appendJsonlBatch(samplesFile, samples);
    const full: PhaseRecord = {
      schema: schemaId('phase_record') as PhaseRecord['schema'],
      ...record,
      samples_count: samples.length,
      ...(samples.length > 0 ? { samples_file: 'samples.jsonl' } : {}),
    };
    appendJsonl(this.reportPath, full);
    this.statuses.push(full.status);
    this.domains.push(full.domain);
    return full;
  }

  /** Write the completion signal. After this the report is immutable and trusted. */
  seal(ts: number, mode: PhaseSignal['mode']): PhaseSignal {
    if (!existsSync(this.reportPath)) throw new ReportError('incomplete', this.reportPath, 'no domain was recorded');
    const samples = this.paths.samplesFile(this.epochId);
    const signal: PhaseSignal = {
      schema: schemaId('phase_signal') as PhaseSignal['schema'],
      mode,
      epoch_id: this.epochId,
      ts,
      report: relative(this.paths.root, this.reportPath),
      sha256: sha256File(this.reportPath),
      ...(existsSync(samples)
        ? { samples: relative(this.paths.root, samples), samples_sha256: sha256File(samples) }
        : {}),
      domains: [...this.domains],
      status: overallStatus(this.statuses),
    };
    writeJsonAtomic(this.paths.signalFile(this.epochId), signal);
    return signal;
  }
}

export interface VerifiedReport {
  signal: PhaseSignal;
  records: PhaseRecord[];
  /** lazily read: the pooled per-request samples of the epoch, by domain */
  samples(): Map<string, SampleLine[]>;
}

/** Read an epoch's report only if its signal exists and both hashes match. Throws ReportError otherwise. */
export function readVerifiedReport(paths: StatePaths, epochId: string): VerifiedReport {
  const signalPath = paths.signalFile(epochId);
  const reportPath = paths.reportFile(epochId);
  let signal: PhaseSignal | undefined;
  try {
    signal = readJson<PhaseSignal>(signalPath);
  } catch {
    throw new ReportError('corrupt', signalPath, `completion signal of ${epochId} is not valid JSON`);
  }
  if (!signal) {
    throw new ReportError(
      existsSync(reportPath) ? 'incomplete' : 'missing',
      signalPath,
      existsSync(reportPath)
        ? `${epochId} has a report but no completion signal (the run did not finish)`
        : `no report for ${epochId}`,
    );
  }
  if (!existsSync(reportPath)) throw new ReportError('missing', reportPath, `report of ${epochId} is missing`);
  const actual = sha256File(reportPath);
  if (actual !== signal.sha256) {
    throw new ReportError(
      'tampered',
      reportPath,
      `SHA256 mismatch for ${epochId}: signal ${signal.sha256.slice(0, 12)}…, file ${actual.slice(0, 12)}…`,
    );
  }
  const samplesPath = paths.samplesFile(epochId);
  if (signal.samples_sha256 !== undefined) {
    if (!existsSync(samplesPath)) throw new ReportError('missing', samplesPath, `samples of ${epochId} are missing`);
    const s = sha256File(samplesPath);
    if (s !== signal.samples_sha256) {
      throw new ReportError('tampered', samplesPath, `SHA256 mismatch for the samples of ${epochId}`);
    }
  }
  const records = parseLines<PhaseRecord>(reportPath);
  let cache: Map<string, SampleLine[]> | undefined;
  return {
    signal,
    records,
    samples: () => {
      if (cache) return cache;
      cache = new Map();
      if (existsSync(samplesPath)) {
        for (const line of parseLines<SampleLine>(samplesPath)) {
          const list = cache.get(line.domain) ?? [];
          list.push(line);
          cache.set(line.domain, list);
        }
      }
      return cache;
    },
  };
}

/** A sealed file is hashed whole, so any unparsable line means tampering, not a torn append: refuse it. */
function parseLines<T>(path: string): T[] {
  const out: T[] = [];
  const lines = readFileSync(path, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === '') continue;
    try {
      out.push(JSON.parse(line) as T);
    } catch {
      throw new ReportError('corrupt', path, `line ${i + 1} is not valid JSON`);
    }
  }
  return out;
}

/** Epoch ids that have a completion signal, oldest first (ids sort by time). Unverified: call readVerifiedReport. */
export function listSealedEpochs(paths: StatePaths): string[] {
  const dir = paths.signalsDir();
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((f) => /^phase_complete_(.+)\.json$/.exec(f)?.[1])
    .filter((e): e is string => e !== undefined)
    .sort();
}
