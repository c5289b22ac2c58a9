#!/usr/bin/env node
// The published entry point: the compiled CLI (built by `npm ci` through the `prepare` script).
import { main } from '../dist/cli/main.js';

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`nightshift: internal error: ${err?.stack ?? err}\n`);
    process.exitCode = 70;
  },
);
