/** The loop's runbook commands, registered together (one entry in commands.ts). */
import { registerBreaker } from './breaker.js';
import { registerBudget } from './budget.js';
import type { Register } from './command.js';
import { registerDaemon } from './daemon.js';
import { registerHistory } from './history.js';
import { registerInstall } from './install.js';
import { registerPause } from './pause.js';
import { registerReport } from './report.js';
import { registerResume } from './resume.js';
import { registerRollback } from './rollback.js';
import { registerRun } from './run.js';
import { registerStatus } from './status.js';

const LOOP_COMMANDS: Register[] = [
  registerRun,
  registerStatus,
  registerHistory,
  registerReport,
  registerRollback,
  registerPause,
  registerResume,
  registerBudget,
  registerBreaker,
  registerInstall,
  registerDaemon,
];

export const registerLoop: Register = (program, exit, io) => {
  for (const register of LOOP_COMMANDS) register(program, exit, io);
};
