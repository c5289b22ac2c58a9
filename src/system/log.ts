/**
 * Logging: pino. JSON lines off a TTY (journald-friendly), readable lines on a TTY. Logs go to stderr; the
 * CLI's own output (tables, JSON results) goes to stdout and is separate.
 */
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

export function createLogger(opts: { verbose?: boolean; tty?: boolean; level?: string } = {}): Logger {
  const level = opts.level ?? (opts.verbose ? 'debug' : 'info');
  const secretKeys = ['api_key', 'apiKey', 'authorization', 'Authorization'];
  const redact = {
    paths: [...secretKeys, ...secretKeys.map((k) => `*.${k}`), '*.headers.authorization'],
    censor: '(redacted)',
  };
  const tty = opts.tty ?? process.stderr.isTTY;
  if (tty) {
    return pino(
      { level, redact },
      pretty({
        destination: 2,
        colorize: !process.env.NO_COLOR,
        sync: true,
        ignore: 'pid,hostname',
        translateTime: 'HH:MM:ss',
      }),
    );
  }
  return pino({ level, redact, base: { name: 'nightshift' } }, pino.destination({ dest: 2, sync: true }));
}

/** A logger that drops everything (tests, library use). */
export const silentLogger: Logger = pino({ level: 'silent' });
