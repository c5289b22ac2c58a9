/**
 * `nightshift twin serve MODEL [vLLM flags] [--gpu L4-24GB] [--time-scale S] [--faults FILE] [--log FILE]
 * [--device ID] [--other-memory-gib N]`: a CPU process that serves and fails like `vllm serve` (src/twin/).
 * `nightshift twin catalogue`: the models and GPU profiles the twin knows.
 * vLLM flags are parsed by the twin itself (vLLM's spelling, unknown ones warned about), so commander only
 * hands over the raw words. The twin does not read nightshift.yaml.
 */
import { GiB, GPUS, MODELS } from '../twin/catalogue.js';
import { runTwinServe } from '../twin/command.js';
import type { Register } from './command.js';

const SERVE_HELP = `
vLLM flags (vLLM spelling, --flag value or --flag=value): --host (127.0.0.1) --port (8000)
  --gpu-memory-utilization (0.9) --max-num-seqs --max-num-batched-tokens --max-model-len
  --kv-cache-dtype auto|fp8 --enable-prefix-caching/--no-enable-prefix-caching --block-size (16)
  --enforce-eager --tensor-parallel-size --served-model-name --seed (0); other vLLM flags: ignored with a warning.
Twin flags: --gpu PROFILE (default L4-24GB) --time-scale S (0<S<=1, all waits × S) --faults FILE (YAML)
  --log FILE --device ID (default 0) --other-memory-gib N
Runtime dir for device sharing: $NIGHTSHIFT_TWIN_RUNTIME_DIR (default <tmp>/nightshift-twin-<uid>).`;

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
    .action(() => {
      io.out('models:');
      for (const m of MODELS) {
        io.out(
          `  ${m.key.padEnd(14)} ${m.hfId.padEnd(36)} ${(m.weightBytes / GiB).toFixed(2)} GiB  ctx ${m.maxContext}`,
        );
      }
      io.out('gpus:');
      for (const g of GPUS) {
        io.out(
          `  ${g.key.padEnd(14)} ${(g.memoryBytes / GiB).toFixed(2)} GiB  ${(g.bandwidth / 1e9).toFixed(0)} GB/s  ${(g.bf16Flops / 1e12).toFixed(0)} TFLOP/s`,
        );
      }
      exit.code = 0;
    });
};
