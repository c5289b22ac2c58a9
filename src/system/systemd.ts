/**
 * systemd units for the nightly run, rendered as text (pure: no fs, no clock). The service is a oneshot that
 * runs one cycle; the timer starts it at the configured local time and catches up a missed night after a
 * reboot (Persistent=true). Exit codes 1 (degraded) and 2 (fixed) are outcomes, not failures of the unit.
 */
import { parseHhmm } from '../core/time.js';

export interface UnitOptions {
  /** absolute path of the node binary */
  node: string;
  /** absolute path of bin/nightshift.js */
  bin: string;
  /** absolute path of nightshift.yaml */
  config: string;
  /**
   * absolute state directory given on the install command line (--state-dir or $NIGHTSHIFT_STATE_DIR): the
   * nightly run must use the same one, not the config's state_dir
   */
  stateDir?: string;
  /** absolute working directory (relative state_dir in the config resolves against it) */
  workingDirectory: string;
  /** local time HH:MM */
  at: string;
  /** IANA zone the time is in (the config's timezone) */
  timezone: string;
  /** user unit (systemctl --user): no User= line and the default target differs */
  user: boolean;
  /** run as this user (system units only) */
  runAs?: string;
}

export interface Units {
  service: string;
  timer: string;
}

export const SERVICE_NAME = 'nightshift.service';
export const TIMER_NAME = 'nightshift.timer';

/** systemd's quoting: an argument with spaces or quotes is double-quoted with backslash escapes. */
export function quoteArg(arg: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `"${arg.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%')}"`;
}

function requireAbsolute(name: string, path: string): void {
  if (!path.startsWith('/')) throw new RangeError(`systemd: ${name} must be an absolute path, found "${path}"`);
}

export function renderUnits(o: UnitOptions): Units {
  requireAbsolute('node', o.node);
  requireAbsolute('bin', o.bin);
  requireAbsolute('config', o.config);
  requireAbsolute('working directory', o.workingDirectory);
  if (o.stateDir !== undefined) requireAbsolute('state directory', o.stateDir);
  const minutes = parseHhmm(o.at);
  const hh = String(Math.floor(minutes / 60)).padStart(2, '0');
  const mm = String(minutes % 60).padStart(2, '0');
  const exec = [
    o.node,
    o.bin,
    'run',
    '--config',
    o.config,
    ...(o.stateDir !== undefined ? ['--state-dir', o.stateDir] : []),
  ]
    .map(quoteArg)
    .join(' ');
  const service = [
    '[Unit]',
    'Description=nightshift: one cycle of the self-healing loop (PHASE, analysis, tuning, validation)',
    'After=network-online.target',
    'Wants=network-online.target',
    '',
    '[Service]',
    'Type=oneshot',
    `ExecStart=${exec}`,
    `WorkingDirectory=${quoteArg(o.workingDirectory)}`,
    ...(o.user || !o.runAs ? [] : [`User=${o.runAs}`]),
    // 1 = degraded and 2 = fixed are results the operator reads in the cycle record, not unit failures.
    'SuccessExitStatus=1 2',
    'TimeoutStartSec=4h',
    'MemoryMax=8G',
    'CPUQuota=400%',
    // SIGTERM reaches nightshift first; it stops its canaries by process group before exiting.
    'KillMode=mixed',
    'Environment=NODE_ENV=production',
    '',
  ].join('\n');
  const timer = [
    '[Unit]',
    `Description=nightshift nightly cycle at ${hh}:${mm}`,
    '',
    '[Timer]',
    `OnCalendar=*-*-* ${hh}:${mm}:00 ${o.timezone}`,
    'Persistent=true',
    'AccuracySec=5min',
    `Unit=${SERVICE_NAME}`,
    '',
    '[Install]',
    'WantedBy=timers.target',
    '',
  ].join('\n');
  return { service, timer };
}

/** Where the units go: /etc/systemd/system, or ~/.config/systemd/user for --user. */
export function unitDirectory(user: boolean, home: string): string {
  return user ? `${home}/.config/systemd/user` : '/etc/systemd/system';
}
