import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

// Keys that could ever hold a secret are censored wherever they appear; input is logged as values of
// JSON fields, never spliced into the message, so a newline in input cannot forge a log line.
const REDACT = [
  'password',
  '*.password',
  'token',
  '*.token',
  'key',
  '*.key',
  'secret',
  '*.secret',
  'headers.cookie',
  'headers.authorization',
  'headers["x-admin-api-key"]',
  'headers["x-api-key"]',
];

/**
 * JSON lines, one per event; `readable` (a developer's terminal) prints them through pino-pretty instead,
 * synchronously, so a crash loses no line.
 */
export function createLogger(level: string, destination?: pino.DestinationStream, options: { readable?: boolean } = {}): Logger {
  const out = destination ?? (options.readable ? pretty({ colorize: true, sync: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' }) : undefined);
  return pino({ level, base: undefined, redact: { paths: REDACT, censor: '[redacted]' }, timestamp: pino.stdTimeFunctions.isoTime }, out);
}
