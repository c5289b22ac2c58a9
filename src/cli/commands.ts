/** Every subcommand module, in the order `--help` lists them. Add a command by adding its register here. */
import { registerAnalysis } from './analyze.js';
import type { Register } from './command.js';
import { registerConfig } from './config.js';
import { registerEvidence } from './evidence.js';
import { registerLoop } from './loop-commands.js';
import { registerPhase } from './phase.js';
import { registerPromote } from './promote.js';
import { registerScrape } from './scrape.js';
import { registerDemo, registerSimulate } from './simulate-commands.js';
import { registerTune } from './tune.js';
import { registerTwin } from './twin.js';

export const COMMANDS: Register[] = [
  registerConfig,
  registerLoop,
  registerPhase,
  registerAnalysis,
  registerTwin,
  registerSimulate,
  registerDemo,
  registerTune,
  registerPromote,
  registerEvidence,
  registerScrape,
];
