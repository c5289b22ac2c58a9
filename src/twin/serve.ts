/**
 * `nightshift twin serve`: start one twin process. Reads the catalogue, the faults file and the device
 * registry, runs vLLM's startup accounting (physics.ts), logs what vLLM logs, and either fails the way vLLM
 * fails (exit 1, well under a second) or, after the modelled startup time × time scale, serves HTTP.
 * Resolves with the process exit code: 0 after SIGTERM/SIGINT or the watched parent's death, 1 after an
 * engine death (runtime OOM, crash fault) or a startup failure.
 */
import { statSync } from 'node:fs';
import { describeError } from '../core/errors.js';
import type { Clock } from '../system/clock.js';
import { exitWithWatchedParent } from '../system/process.js';
import type { TwinArgs } from './args.js';
import { GiB, resolveGpu, resolveModel } from './catalogue.js';
import { otherUsers, registerUsage, runtimeDir, unregisterUsage } from './device.js';
import { type Fault, faultStateAt } from './faults.js';
import {
  captureSizes,
  formatGib,
  type Limits,
  LOAD_BYTES_PER_S,
  planMemory,
  resolveLimits,
  startupTimeS,
} from './physics.js';
import { createVllmLog, type VllmLog } from './vllm-log.js';

// The serving half (prom-client, node:http, the engine) and the YAML/schema libraries are loaded only when
// needed: a startup failure must print vLLM's message and exit well under a second, even on a busy machine.
const loadFaultsFile = () => import('./faults-file.js');

/** The vLLM version whose behaviour (messages, metric names, defaults) the twin models. */
export const MODELLED_VLLM_VERSION = '0.11.0';
const FAULT_POLL_MS = 1000;

export interface ServeDeps {
  clock: Clock;
  env?: NodeJS.ProcessEnv;
  stdout?: (s: string) => void;
  stderr?: (s: string) => void;
  /** install SIGTERM/SIGINT handlers and the parent watch (the CLI does; tests in-process do not) */
  processHooks?: boolean;
}

export interface RunningTwin {
  /** resolves with the exit code when the twin has stopped */
  done: Promise<number>;
  stop(code?: number): Promise<void>;
  port(): number;
}

function engineFailure(log: VllmLog, message: string): void {
  log.line('ERROR', 'core.py:708', 'EngineCore failed to start.');
  log.line('ERROR', 'core.py:708', 'Traceback (most recent call last):');
  log.line(
    'ERROR',
    'core.py:708',
    '  File "/usr/local/lib/python3.12/dist-packages/vllm/v1/engine/core.py", line 699, in run_engine_core',
  );
  log.line('ERROR', 'core.py:708', '    engine_core = EngineCoreProc(*args, **kwargs)');
  for (const part of message.split('\n')) log.line('ERROR', 'core.py:708', part);
  log.raw('RuntimeError: Engine core initialization failed. See root cause above. Failed core proc(s): {}');
}

export async function serveTwin(args: TwinArgs, deps: ServeDeps): Promise<RunningTwin> {
  const env = deps.env ?? process.env;
  const log = createVllmLog({
    now: () => deps.clock.now(),
    pid: process.pid,
    ...(args.logFile ? { file: args.logFile } : {}),
    ...(deps.stdout ? { stdout: deps.stdout } : {}),
    ...(deps.stderr ? { stderr: deps.stderr } : {}),
  });
  const model = resolveModel(args.model);
  const gpu = resolveGpu(args.gpu);
  const faultsPath = args.faultsFile;
  let faults: Fault[] = faultsPath ? (await loadFaultsFile()).readFaultsFile(faultsPath) : [];
  const dir = runtimeDir(env);
  const servedNames = args.servedModelName ?? [args.model];

  let finish!: (code: number) => void;
  const done = new Promise<number>((r) => {
    finish = r;
  });
  const failed = (code: number): RunningTwin => {
    log.close();
    finish(code);
    return { done, stop: async () => {}, port: () => 0 };
  };

  log.line('INFO', 'api_server.py:1839', `vLLM API server version ${MODELLED_VLLM_VERSION} (nightshift twin)`, 'api');
  log.line('INFO', 'utils.py:233', `non-default args: ${JSON.stringify(nonDefaults(args))}`, 'api');
  for (const u of args.unknown) {
    log.line('WARNING', 'arg_utils.py:1', `nightshift twin: ignoring unknown vLLM argument ${u}`, 'api');
  }

  const shape = {
    ...(args.maxNumSeqs !== undefined ? { maxNumSeqs: args.maxNumSeqs } : {}),
    ...(args.maxNumBatchedTokens !== undefined ? { maxNumBatchedTokens: args.maxNumBatchedTokens } : {}),
    ...(args.maxModelLen !== undefined ? { maxModelLen: args.maxModelLen } : {}),
    blockSize: args.blockSize,
    gpuMemoryUtilization: args.gpuMemoryUtilization,
    kvCacheDtype: args.kvCacheDtype,
    enforceEager: args.enforceEager,
    tensorParallelSize: args.tensorParallelSize,
  };
  const limitsOrError = resolveLimits(shape, model, gpu);
  if ('kind' in limitsOrError) {
    log.raw(limitsOrError.message);
    return failed(1);
  }
  const limits: Limits = limitsOrError;
  log.line(
    'INFO',
    'core.py:77',
    `Initializing a V1 LLM engine (v${MODELLED_VLLM_VERSION}) with config: model='${args.model}', ` +
      `served_model_name=${servedNames[0]}, max_seq_len=${limits.maxModelLen}, ` +
      `tensor_parallel_size=${args.tensorParallelSize}, kv_cache_dtype=${args.kvCacheDtype}, ` +
      `enforce_eager=${pyBool(args.enforceEager)}, enable_prefix_caching=${pyBool(args.enablePrefixCaching)}, ` +
      `max_num_seqs=${limits.maxNumSeqs}, max_num_batched_tokens=${limits.maxNumBatchedTokens}, seed=${args.seed}, ` +
      `device=cuda:${args.device} (${gpu.key})`,
  );

  const othersNow = () => otherUsers(dir, args.device).reduce((s, e) => s + e.bytes, 0) + args.otherMemoryGib * GiB;
  const initialOthers = othersNow();
  // Re-read once a second while serving: a twin that starts later on the same device eats this one's headroom.
  let liveOthers = initialOthers;
  const hog0 = faultStateAt(faults, 0).hogBytes;
  const memory = planMemory({ model, gpu, shape, limits, othersBytes: initialOthers + hog0 });
  if (memory.failure?.kind === 'free_memory') {
    engineFailure(log, memory.failure.message);
    return failed(1);
  }
  registerUsage(dir, args.device, {
    pid: process.pid,
    bytes: memory.requestedBytes,
    model: model.key,
    port: args.port,
  });
  const cleanup = () => unregisterUsage(dir, args.device);
  log.line('INFO', 'gpu_model_runner.py:2602', `Starting to load model ${args.model}...`);
  if (memory.failure) {
    if (memory.failure.kind !== 'weights_oom') {
      log.line(
        'INFO',
        'gpu_model_runner.py:2634',
        `Model loading took ${formatGib(memory.weightsBytes)} GiB and ${(memory.weightsBytes / LOAD_BYTES_PER_S).toFixed(6)} seconds`,
      );
    }
    engineFailure(log, memory.failure.message);
    cleanup();
    return failed(1);
  }
  log.line(
    'INFO',
    'gpu_model_runner.py:2634',
    `Model loading took ${formatGib(memory.weightsBytes)} GiB and ${(memory.weightsBytes / LOAD_BYTES_PER_S).toFixed(6)} seconds`,
  );
  log.line('INFO', 'gpu_worker.py:298', `Available KV cache memory: ${formatGib(memory.kvAvailableBytes)} GiB`);
  log.line('INFO', 'kv_cache_utils.py:1087', `GPU KV cache size: ${memory.kvTokens.toLocaleString('en-US')} tokens`);
  log.line(
    'INFO',
    'kv_cache_utils.py:1091',
    `Maximum concurrency for ${limits.maxModelLen.toLocaleString('en-US')} tokens per request: ${memory.maxConcurrency.toFixed(2)}x`,
  );
  if (!args.enforceEager) {
    log.line(
      'INFO',
      'gpu_model_runner.py:3480',
      `Graph capturing finished in ${Math.round(1 + 0.03 * captureSizes(limits.maxNumSeqs))} secs, took ${formatGib(memory.cudaGraphBytes)} GiB`,
    );
  }
  const startupS = startupTimeS(model, limits, shape);
  log.line(
    'INFO',
    'core.py:210',
    `init engine (profile, create kv cache, warmup model) took ${startupS.toFixed(2)} seconds`,
  );

  const [{ TwinMetrics }, { Engine }, { TwinServer }] = await Promise.all([
    import('./metrics.js'),
    import('./engine.js'),
    import('./server.js'),
  ]);
  const metrics = new TwinMetrics(servedNames[0] as string, {
    block_size: String(limits.blockSize),
    cache_dtype: args.kvCacheDtype,
    enable_prefix_caching: pyBool(args.enablePrefixCaching),
    gpu_memory_utilization: String(args.gpuMemoryUtilization),
    num_gpu_blocks: String(memory.numBlocks),
  });
  let dead = false;
  let stopping = false;
  let server: InstanceType<typeof TwinServer> | undefined;
  let faultTimer: NodeJS.Timeout | undefined;
  let stopTwin: (code: number) => Promise<void> = async () => {};

  const engine = new Engine({
    model,
    gpu,
    memory,
    scheduler: {
      maxNumSeqs: limits.maxNumSeqs,
      maxNumBatchedTokens: limits.maxNumBatchedTokens,
      blockSize: limits.blockSize,
      numBlocks: memory.numBlocks,
      prefixCaching: args.enablePrefixCaching,
    },
    tensorParallelSize: args.tensorParallelSize,
    enforceEager: args.enforceEager,
    kvCacheDtype: args.kvCacheDtype,
    timeScale: args.timeScale,
    othersBytes: () => liveOthers,
    faults: () => faults,
    metrics,
    log,
    onDeath: () => {
      dead = true;
      // vLLM's API server notices the dead engine and shuts down shortly after; /health answers 503 meanwhile.
      const graceMs = Math.min(1000, Math.max(300, 2000 * args.timeScale));
      const t = setTimeout(() => {
        log.line('INFO', 'launcher.py:99', 'Shutting down FastAPI HTTP server.', 'api');
        void stopTwin(1);
      }, graceMs);
      t.unref();
    },
  });

  const watchFaults = () => {
    if (!faultsPath) {
      faultTimer = setInterval(() => {
        liveOthers = othersNow();
      }, FAULT_POLL_MS);
      faultTimer.unref();
      return;
    }
    let lastMtime = safeMtime(faultsPath);
    faultTimer = setInterval(async () => {
      liveOthers = othersNow();
      const m = safeMtime(faultsPath);
      if (m === lastMtime) return;
      lastMtime = m;
      try {
        faults = (await loadFaultsFile()).readFaultsFile(faultsPath);
        log.line(
          'INFO',
          'faults',
          `nightshift twin: faults reloaded from ${faultsPath} (${faults.length} entries)`,
          'api',
        );
        engine.rescheduleCrash();
      } catch (err) {
        log.line('WARNING', 'faults', `nightshift twin: ${describeError(err)}; keeping the previous faults`, 'api');
      }
    }, FAULT_POLL_MS);
    faultTimer.unref();
  };

  stopTwin = async (code: number) => {
    if (stopping) return;
    stopping = true;
    engine.stop();
    if (faultTimer) clearInterval(faultTimer);
    if (server) await server.close();
    cleanup();
    log.close();
    finish(code);
  };

  const onSignal = () => {
    log.line('INFO', 'launcher.py:99', 'Shutting down FastAPI HTTP server.', 'api');
    void stopTwin(0);
  };
  if (deps.processHooks) {
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    exitWithWatchedParent(() => void stopTwin(0), env);
  }

  // The model's load time, scaled; the port is bound only once the engine is up, as with vLLM.
  await new Promise((r) => setTimeout(r, startupS * 1000 * args.timeScale));
  if (stopping) return { done, stop: stopTwin, port: () => 0 };
  server = new TwinServer({
    engine,
    metrics,
    servedNames,
    modelRoot: args.model,
    maxModelLen: limits.maxModelLen,
    blockSize: limits.blockSize,
    prefixCaching: args.enablePrefixCaching,
    seed: args.seed,
    timeScale: args.timeScale,
    version: MODELLED_VLLM_VERSION,
    nowEpochS: () => Math.floor(deps.clock.now() / 1000),
    wrongFraction: () => faultStateAt(faults, engine.now()).wrongFraction,
    isDead: () => dead,
  });
  try {
    await server.listen(args.port, args.host);
  } catch (err) {
    log.raw(
      `OSError: [Errno 98] error while attempting to bind on address ('${args.host}', ${args.port}): address already in use (${describeError(err)})`,
    );
    server = undefined;
    await stopTwin(1);
    return { done, stop: stopTwin, port: () => 0 };
  }
  const addr = server.http.address();
  const boundPort = typeof addr === 'object' && addr ? addr.port : args.port;
  registerUsage(dir, args.device, {
    pid: process.pid,
    bytes: memory.requestedBytes,
    model: model.key,
    port: boundPort,
  });
  engine.start(startupS);
  watchFaults();
  log.line('INFO', 'api_server.py:1880', `Starting vLLM API server 0 on http://${args.host}:${boundPort}`, 'api');
  log.line(
    'INFO',
    'launcher.py:29',
    'Available routes are: /health, /v1/models, /v1/completions, /v1/chat/completions, /metrics, /version',
    'api',
  );
  log.out(`INFO:     Started server process [${process.pid}]`);
  log.out('INFO:     Waiting for application startup.');
  log.out('INFO:     Application startup complete.');
  return { done, stop: (code = 0) => stopTwin(code), port: () => boundPort };
}

/** mtime and size: a rewrite within the same millisecond as a half-written read still shows as a change */
function safeMtime(path: string): string {
  try {
    const st = statSync(path);
    return `${st.mtimeMs}:${st.size}`;
  } catch {
    return 'missing';
  }
}

function pyBool(b: boolean): string {
  return b ? 'True' : 'False';
}

function nonDefaults(a: TwinArgs): Record<string, unknown> {
  const out: Record<string, unknown> = { model_tag: a.model };
  if (a.maxNumSeqs !== undefined) out.max_num_seqs = a.maxNumSeqs;
  if (a.maxNumBatchedTokens !== undefined) out.max_num_batched_tokens = a.maxNumBatchedTokens;
  if (a.maxModelLen !== undefined) out.max_model_len = a.maxModelLen;
  if (a.gpuMemoryUtilization !== 0.9) out.gpu_memory_utilization = a.gpuMemoryUtilization;
  if (a.kvCacheDtype !== 'auto') out.kv_cache_dtype = a.kvCacheDtype;
  if (!a.enablePrefixCaching) out.enable_prefix_caching = false;
  if (a.blockSize !== 16) out.block_size = a.blockSize;
  if (a.enforceEager) out.enforce_eager = true;
  if (a.tensorParallelSize !== 1) out.tensor_parallel_size = a.tensorParallelSize;
  if (a.servedModelName) out.served_model_name = a.servedModelName;
  if (a.seed !== 0) out.seed = a.seed;
  out.port = a.port;
  return out;
}
