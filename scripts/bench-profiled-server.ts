// The service as main.ts serves it, with the CPU profiler under a signal: SIGUSR2 starts it, the next
// SIGUSR2 writes the profile to PROFILE_FILE. Start-up and setup stay out of the profile.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { serve } from '@hono/node-server';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { createRuntime } from '../src/server.js';

const { config } = loadConfig();
const logger = createLogger(config.logLevel);
const runtime = await createRuntime(config, logger);
serve({ fetch: runtime.app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  logger.info({ address: `http://127.0.0.1:${info.port}` }, 'listening');
});
const session = new Session();
session.connect();
let profiling = false;
process.on('SIGUSR2', async () => {
  if (!profiling) {
    profiling = true;
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
    process.stderr.write('profiling\n');
    return;
  }
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(process.env.PROFILE_FILE!, JSON.stringify(profile));
  process.exit(0);
});
