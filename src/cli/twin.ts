/**
 * `nightshift twin serve MODEL [vLLM flags] [--gpu L4-24GB] [--time-scale S] [--faults FILE] [--log FILE]
 * [--device ID] [--other-memory-gib N]`: a CPU process that serves and fails like `vllm serve` (src/twin/).
 * `nightshift twin catalogue`: the models and GPU profiles the twin knows.
 * vLLM flags are parsed by the twin itself (vLLM's spelling, unknown ones warned about), so commander only
 * hands over the raw words. The twin does not read nightshift.yaml.
 */
import type { Command } from 'commander';
import { GiB, GPUS, MODELS } from '../twin/catalogue.js';
import { runTwinServe } from '../twin/command.js';
import type { Register } from './command.js';
import { table } from './loop-app.js';

const SERVE_HELP = `
vLLM flags (vLLM spelling, --flag value or --flag=value): --host (127.0.0.1) --port (8000)
  --gpu-memory-utilization (0.9) --max-num-seqs --max-num-batched-tokens --max-model-len
  --kv-cache-dtype auto|fp8 --enable-prefix-caching/--no-enable-prefix-caching --block-size (16)
  --enforce-eager --tensor-parallel-size --served-model-name --seed (0); other vLLM flags: ignored with a warning.
Twin flags: --gpu PROFILE (default L4-24GB) --time-scale S (0<S<=1, all waits × S) --faults FILE (YAML)
  --log FILE --device ID (default 0) --other-memory-gib N
Runtime dir for device sharing: $NIGHTSHIFT_TWIN_RUNTIME_DIR (default <tmp>/nightshift-twin-<uid>).`;

/** Two aligned tables; numbers right-aligned with their units in the header. */
export function renderCatalogue(): string {
  // numbers end under the end of their header
  const right = (header: string[], rows: string[][], cols: number[]) => {
    for (const c of cols) {
      const w = Math.max((header[c] ?? '').length, ...rows.map((r) => (r[c] ?? '').length));
      for (const r of rows) r[c] = (r[c] ?? '').padStart(w);
    }
    return rows;
  };
  const modelHeader = ['NAME', 'HUGGING FACE ID', 'PARAMS', 'WEIGHTS GiB', 'LAYERS', 'KV HEADS', 'MAX CONTEXT'];
  const gpuHeader = ['NAME', 'MEMORY GiB', 'BANDWIDTH GB/s', 'BF16 TFLOP/s'];
  const models = right(
    modelHeader,
    MODELS.map((m) => [
      m.key,
      m.hfId,
      `${(m.params / 1e9).toFixed(1)}B`,
      (m.weightBytes / GiB).toFixed(2),
      String(m.layers),
      String(m.kvHeads),
      String(m.maxContext),
    ]),
    [2, 3, 4, 5, 6],
  );
  const gpus = right(
    gpuHeader,
    GPUS.map((g) => [
      g.key,
      (g.memoryBytes / GiB).toFixed(2),
      (g.bandwidth / 1e9).toFixed(0),
      (g.bf16Flops / 1e12).toFixed(0),
    ]),
    [1, 2, 3],
  );
  return [
    'models (MODEL argument: the name or the Hugging Face id)',
    table(modelHeader, models),
    '',
    'gpus (--gpu; memory as the driver reports it)',
    table(gpuHeader, gpus),
  ].join('\n');
}

export const registerTwin: Register = (program, exit, io) => {
  const twin = program.command('twin').description('The vLLM twin: a CPU process that serves and fails like vLLM');
  twin
    .command('serve')
    .description('Serve MODEL like `vllm serve` (OpenAI API, /metrics, vLLM logs and failures)')
    .argument('<model>', 'model name or Hugging Face id (see `nightshift twin catalogue`)')
    .argument('[flags...]', 'vLLM and twin flags')
    .allowUnknownOption()
    .allowExcessArguments()
    .addHelpText('after', SERVE_HELP)
    .action(async (_model: string, _flags: string[], _opts: unknown, cmd: { args: string[] }) => {
      exit.code = await runTwinServe(cmd.args, (line) => io.err(line));
      // Every handle of the twin is closed by now; this only guards against a stray keep-alive socket.
      setTimeout(() => process.exit(exit.code), 500).unref();
    });
  twin
    .command('catalogue')
    .description('List the models and GPU profiles the twin knows')
    .option('--json', 'print as JSON')
    .action((opts: { json?: boolean }, cmd: Command) => {
      if (opts.json || cmd.optsWithGlobals().json) io.out(JSON.stringify({ models: MODELS, gpus: GPUS }, null, 2));
      else io.out(renderCatalogue());
      exit.code = 0;
    });
};
