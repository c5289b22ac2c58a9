/**
 * The twin's command line: `vllm serve` flags with vLLM's spelling (`--flag value` and `--flag=value`), plus the
 * twin-only flags. Pure: argv in, a value out. Bad values fail the way vLLM's argparse does
 * (`vllm serve: error: argument --max-num-seqs: invalid int value: 'x'`, exit 2); unknown flags are kept as
 * warnings so a real vLLM command line can be pointed at the twin. An unknown flag takes the next word as its
 * value unless that word starts with `--`.
 */
export interface TwinArgs {
  model: string;
  host: string;
  port: number;
  gpuMemoryUtilization: number;
  /** undefined: vLLM's default for the GPU (see physics.defaultLimits) */
  maxNumSeqs?: number;
  maxNumBatchedTokens?: number;
  /** undefined: the model's max context */
  maxModelLen?: number;
  kvCacheDtype: 'auto' | 'fp8';
  enablePrefixCaching: boolean;
  blockSize: number;
  enforceEager: boolean;
  tensorParallelSize: number;
  servedModelName?: string[];
  seed: number;
  // twin-only
  gpu: string;
  timeScale: number;
  faultsFile?: string;
  logFile?: string;
  device: string;
  otherMemoryGib: number;
  /** flags the twin does not model, with their values: logged as warnings */
  unknown: string[];
}

/** A command-line error in vLLM's argparse form; exit code 2 like argparse. */
export class TwinArgError extends Error {
  readonly exitCode = 2;
}

type Kind = 'int' | 'float' | 'string' | 'bool' | 'list';
interface FlagSpec {
  key: keyof TwinArgs;
  kind: Kind;
  choices?: readonly string[];
}

const FLAGS: Record<string, FlagSpec> = {
  '--host': { key: 'host', kind: 'string' },
  '--port': { key: 'port', kind: 'int' },
  '--gpu-memory-utilization': { key: 'gpuMemoryUtilization', kind: 'float' },
  '--max-num-seqs': { key: 'maxNumSeqs', kind: 'int' },
  '--max-num-batched-tokens': { key: 'maxNumBatchedTokens', kind: 'int' },
  '--max-model-len': { key: 'maxModelLen', kind: 'string' },
  '--kv-cache-dtype': {
    key: 'kvCacheDtype',
    kind: 'string',
    choices: ['auto', 'fp8', 'fp8_e4m3', 'fp8_e5m2', 'bfloat16'],
  },
  '--enable-prefix-caching': { key: 'enablePrefixCaching', kind: 'bool' },
  '--block-size': { key: 'blockSize', kind: 'int', choices: ['1', '8', '16', '32', '64', '128'] },
  '--enforce-eager': { key: 'enforceEager', kind: 'bool' },
  '--tensor-parallel-size': { key: 'tensorParallelSize', kind: 'int' },
  '-tp': { key: 'tensorParallelSize', kind: 'int' },
  '--served-model-name': { key: 'servedModelName', kind: 'list' },
  '--seed': { key: 'seed', kind: 'int' },
  '--gpu': { key: 'gpu', kind: 'string' },
  '--time-scale': { key: 'timeScale', kind: 'float' },
  '--faults': { key: 'faultsFile', kind: 'string' },
  '--log': { key: 'logFile', kind: 'string' },
  '--device': { key: 'device', kind: 'string' },
  '--other-memory-gib': { key: 'otherMemoryGib', kind: 'float' },
};

export const DEFAULT_ARGS = {
  host: '127.0.0.1',
  port: 8000,
  gpuMemoryUtilization: 0.9,
  kvCacheDtype: 'auto',
  enablePrefixCaching: true,
  blockSize: 16,
  enforceEager: false,
  tensorParallelSize: 1,
  seed: 0,
  gpu: 'L4-24GB',
  timeScale: 1,
  device: '0',
  otherMemoryGib: 0,
} as const;

const argError = (flag: string, msg: string) => new TwinArgError(`vllm serve: error: argument ${flag}: ${msg}`);

/** Parse vLLM's `k`/`K`/`m` suffixes of --max-model-len ("32k" = 32000, "32K" = 32768) like vLLM does. */
export function parseHumanInt(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)([kKmMgG]?)$/.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const suffix = m[2] ?? '';
  const mult: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };
  const v = n * (mult[suffix] ?? 1);
  return Number.isInteger(v) ? v : undefined;
}

export function parseTwinArgs(argv: readonly string[]): TwinArgs {
  const out: Record<string, unknown> = { ...DEFAULT_ARGS, unknown: [] as string[] };
  const unknown: string[] = out.unknown as string[];
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] as string;
    if (!word.startsWith('-') || word === '-') {
      positionals.push(word);
      continue;
    }
    const eq = word.indexOf('=');
    let flag = eq >= 0 ? word.slice(0, eq) : word;
    let inline = eq >= 0 ? word.slice(eq + 1) : undefined;
    flag = flag.replace(/_/g, '-');
    let negated = false;
    if (flag.startsWith('--no-') && FLAGS[`--${flag.slice(5)}`]?.kind === 'bool') {
      negated = true;
      flag = `--${flag.slice(5)}`;
    }
    const spec = FLAGS[flag];
    if (!spec) {
      // Unknown vLLM flag: keep it (with its value, if it has one) for a warning.
      const next = argv[i + 1];
      if (inline === undefined && next !== undefined && !next.startsWith('--')) {
        unknown.push(`${word} ${next}`);
        i++;
      } else unknown.push(word);
      continue;
    }
    if (spec.kind === 'bool') {
      if (inline !== undefined) {
        const v = inline.toLowerCase();
        if (!['true', 'false', '1', '0'].includes(v)) throw argError(flag, `invalid bool value: '${inline}'`);
        out[spec.key] = (v === 'true' || v === '1') !== negated;
      } else out[spec.key] = !negated;
      continue;
    }
    if (spec.kind === 'list') {
      const values: string[] = inline !== undefined ? [inline] : [];
      while (inline === undefined && argv[i + 1] !== undefined && !(argv[i + 1] as string).startsWith('-')) {
        values.push(argv[++i] as string);
      }
      if (values.length === 0) throw argError(flag, 'expected at least one argument');
      out[spec.key] = values;
      continue;
    }
    if (inline === undefined) {
      inline = argv[++i];
      if (inline === undefined) throw argError(flag, 'expected one argument');
    }
    if (spec.choices && !spec.choices.includes(inline)) {
      throw argError(flag, `invalid choice: '${inline}' (choose from ${spec.choices.map((c) => `'${c}'`).join(', ')})`);
    }
    if (spec.kind === 'int') {
      if (!/^-?\d+$/.test(inline)) throw argError(flag, `invalid int value: '${inline}'`);
      out[spec.key] = Number(inline);
    } else if (spec.kind === 'float') {
      const v = Number(inline);
      if (inline.trim() === '' || !Number.isFinite(v)) throw argError(flag, `invalid float value: '${inline}'`);
      out[spec.key] = v;
    } else if (spec.key === 'maxModelLen') {
      const v = parseHumanInt(inline);
      if (v === undefined) throw argError(flag, `invalid human_readable_int value: '${inline}'`);
      out[spec.key] = v;
    } else if (spec.key === 'kvCacheDtype') {
      out[spec.key] = inline.startsWith('fp8') ? 'fp8' : 'auto';
    } else out[spec.key] = inline;
  }
  if (positionals.length === 0) {
    throw new TwinArgError('vllm serve: error: the following arguments are required: model_tag');
  }
  if (positionals.length > 1) {
    throw new TwinArgError(`vllm serve: error: unrecognized arguments: ${positionals.slice(1).join(' ')}`);
  }
  out.model = positionals[0];
  const args = out as unknown as TwinArgs;
  validate(args);
  return args;
}

/** vLLM's own range checks (config validation at engine start), with its wording. */
function validate(a: TwinArgs): void {
  if (!(a.gpuMemoryUtilization > 0 && a.gpuMemoryUtilization <= 1)) {
    throw new TwinArgError(`ValueError: GPU memory utilization must be within (0, 1]. Got ${a.gpuMemoryUtilization}.`);
  }
  if (a.maxNumSeqs !== undefined && a.maxNumSeqs < 1) {
    throw new TwinArgError(`ValueError: max_num_seqs (${a.maxNumSeqs}) must be greater than or equal to 1.`);
  }
  if (a.maxNumBatchedTokens !== undefined && a.maxNumBatchedTokens < 1) {
    throw new TwinArgError(`ValueError: max_num_batched_tokens (${a.maxNumBatchedTokens}) must be >= 1.`);
  }
  if (a.maxModelLen !== undefined && a.maxModelLen < 1) {
    throw new TwinArgError(`ValueError: max_model_len (${a.maxModelLen}) must be >= 1.`);
  }
  if (a.tensorParallelSize < 1) {
    throw new TwinArgError(`ValueError: tensor_parallel_size (${a.tensorParallelSize}) must be >= 1.`);
  }
  if (a.port < 0 || a.port > 65535)
    throw new TwinArgError(`vllm serve: error: argument --port: invalid port ${a.port}`);
  if (!(a.timeScale > 0 && a.timeScale <= 1)) {
    throw new TwinArgError(`twin: --time-scale must be in (0, 1], got ${a.timeScale}`);
  }
  if (a.otherMemoryGib < 0) throw new TwinArgError(`twin: --other-memory-gib must be >= 0, got ${a.otherMemoryGib}`);
}
