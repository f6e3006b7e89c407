import pino, { type Logger } from 'pino';

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

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, base: undefined, redact: { paths: REDACT, censor: '[redacted]' }, timestamp: pino.stdTimeFunctions.isoTime }, destination);
}
