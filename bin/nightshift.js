#!/usr/bin/env node
// The published entry point: the compiled CLI (built by `npm ci` through the `prepare` script).

// `nightshift twin serve ...` loads only the twin: its startup failures must exit well under a second, which
// loading every CLI module does not allow on a busy machine. (`twin serve --help` still goes through the CLI.)
const [, , first, second] = process.argv;
const help = process.argv.includes('--help') || process.argv.includes('-h');
if (first === 'twin' && second === 'serve' && !help) {
  const { runTwinMain } = await import('../dist/twin/main.js');
  runTwinMain(process.argv.slice(4));
} else {
  const { main } = await import('../dist/cli/main.js');
  main(process.argv).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`nightshift: internal error: ${err?.stack ?? err}\n`);
      process.exitCode = 70;
    },
  );
}
