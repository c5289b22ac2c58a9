/** The epoch a user names on the command line (phase show, phase verify, analyze). */
import { existsSync } from 'node:fs';
import { UsageError } from '../core/errors.js';
import { listSealedEpochs } from '../loop/phase/report.js';
import type { StatePaths } from '../store/paths.js';

/**
 * An epoch the user named must exist: a typo is a usage error that lists what does exist, not a "missing
 * report" (which means a run died before sealing, and is reported by readVerifiedReport).
 */
export function requireEpoch(paths: StatePaths, epoch: string, command: string): void {
  if (existsSync(paths.signalFile(epoch)) || existsSync(paths.reportDir(epoch))) return;
  const sealed = listSealedEpochs(paths);
  const known =
    sealed.length === 0
      ? `there is no sealed report in ${paths.root} yet; run \`nightshift phase run\` first`
      : `sealed: ${sealed.length > 3 ? `${sealed.length} epochs, ${sealed.slice(0, 1)} … ` : ''}${sealed.slice(-3).join(', ')}`;
  throw new UsageError(`${command}: no PHASE epoch ${epoch} in ${paths.root}`, known);
}
