// Structured JSON logs (pino). In stdio mode stdout carries the protocol, so logs go to stderr.
import { pino, type Logger } from 'pino';

export function createLogger(level: string, stream: 'stdout' | 'stderr' = 'stdout'): Logger {
  return pino(
    {
      level,
      base: { service: 'ctxgate' },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Never log credentials, even by accident.
      redact: { paths: ['req.headers.authorization', 'headers.authorization', 'key', 'secret'], censor: '[redacted]' },
    },
    pino.destination({ fd: stream === 'stdout' ? 1 : 2, sync: false }),
  );
}
