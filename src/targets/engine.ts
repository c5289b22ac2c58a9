/**
 * What the loop knows about an inference engine (ARCHITECTURE.md §3). One adapter per engine under
 * targets/<engine>/; the vLLM adapter drives a real `vllm serve` and the twin through the same code — only
 * the launch command differs. Every adapter passes the contract suite in targets/contract.ts.
 */
import type { EngineConfig, Evidence } from '../core/types.js';

export type KnobType = 'int' | 'float' | 'bool' | 'enum';

/** A declarative actuator: what can be changed, within which bounds, on which grid. */
export interface KnobSpec {
  name: string;
  /** command-line flag (vLLM: --max-num-seqs) or environment variable (Ollama) */
  flag: string;
  via: 'flag' | 'env';
  type: KnobType;
  min?: number;
  max?: number;
  step?: number;
  /** for int knobs whose grid is not arithmetic (max_num_seqs: powers of two and multiples of 8) */
  grid?: 'pow2_or_mult8';
  values?: readonly string[];
  default?: number | string | boolean;
  description: string;
  /** bool knobs: the flag that turns it off (vLLM: --no-enable-prefix-caching); absent = omit the flag when false */
  falseFlag?: string;
  /** false: the engine accepts it and nightshift renders it, but the tuner never changes it (block_size, enforce_eager) */
  tuned?: boolean;
  /** the upper bound is the model's own maximum (max_model_len); `max` is only the widest any catalogue model allows */
  maxFromModel?: boolean;
}

export interface LaunchSpec {
  argv: string[];
  env: Record<string, string>;
}

export interface Engine {
  /** "vllm", "llama-server", ... */
  name: string;
  knobs: KnobSpec[];
  /** Flags the adapter renders and checks but the tuner never changes (vLLM: block_size, enforce_eager). */
  settings?: KnobSpec[];
  /** argv + env to start one instance with this config on this port; `launch` is the configured command prefix */
  launch(opts: {
    launch: string[];
    model: string;
    servedModelName?: string;
    config: EngineConfig;
    port: number;
    host?: string;
    /** the twin only: `--time-scale S`, appended when < 1 (config target.time_scale) */
    timeScale?: number;
  }): LaunchSpec;
  /** Path that answers 200 once the engine serves (vLLM, llama-server: /health; Ollama: /). Default /health. */
  healthPath?: string;
  /** Known fatal startup lines (vLLM's OOM messages, ...). */
  startupFailure(logLine: string): Evidence | undefined;
  /** Runtime OOM lines. */
  oomSignature(logLine: string): Evidence | undefined;
  /** Cross-knob constraints; returns the reasons a config breaks them (empty when it holds). */
  constraints(config: EngineConfig): string[];
}

export type ReadyResult = { ok: true; ms: number } | { ok: false; ms: number; evidence: Evidence };

/** One running engine process (canary or managed production). */
export interface Instance {
  pid: number;
  port: number;
  baseUrl: string;
  logPath: string;
  config: EngineConfig;
  /** Ready when /health answers 200; fails fast on process exit or a known startup-failure log line. */
  ready(timeoutMs: number): Promise<ReadyResult>;
  /** SIGTERM the process group, SIGKILL after a grace period. Idempotent. */
  stop(): Promise<void>;
  exited(): boolean;
}

export interface ApplyOptions {
  /** how long to wait for production to turn healthy (the caller's choice, e.g. canary.restore_sla_s) */
  timeoutMs?: number;
}

export interface ApplyResult {
  ok: boolean;
  /** measured time from apply to healthy (or to the failure) */
  ms: number;
  evidence?: Evidence;
}

/** How production is changed: systemd | command | managed. */
export interface Production {
  mode: 'managed' | 'systemd' | 'command';
  current(): Promise<EngineConfig>;
  apply(config: EngineConfig, opts?: ApplyOptions): Promise<ApplyResult>;
  health(): Promise<boolean>;
  /** Quiesced canaries: stop production (returns when stopped). Not every mode can; those throw. */
  stop(): Promise<void>;
  /** Quiesced canaries: start production again with its current config and wait until healthy. */
  start?(opts?: ApplyOptions): Promise<ApplyResult>;
}
