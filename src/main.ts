import { serve } from '@hono/node-server';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { createRuntime } from './server.js';

async function main(): Promise<void> {
  let loaded;
  try {
    loaded = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const { config, notices, firstStartSecrets } = loaded;
  const logger = createLogger(config.logLevel, undefined, { readable: config.environment === 'development' && process.stdout.isTTY });
  for (const notice of notices) logger.warn(notice);

  const runtime = await createRuntime(config, logger);
  const server = serve({ fetch: runtime.app.fetch, port: config.port, hostname: config.host }, (info) => {
    const address = `http://${info.address.includes(':') ? `[${info.address}]` : info.address}:${info.port}`;
    logger.info({ address, database: runtime.database.dialect, mode: config.deploymentMode, environment: config.environment }, 'listening');
    if (firstStartSecrets) process.stdout.write(banner(address, firstStartSecrets));
    // Background jobs (pruning, deadlines) poll from here on; runtime.close() stops them first.
    runtime.jobs.start();
  });

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    // Readiness turns 503 first so the load balancer stops sending; in-flight requests then finish.
    runtime.lifecycle.draining = true;
    logger.info({ signal }, 'draining');
    const force = setTimeout(() => {
      logger.error('in-flight requests did not finish within 25 s; exiting');
      process.exit(1);
    }, (config.shutdownDrainSeconds + 25) * 1000);
    force.unref();
    const close = async () => {
      // Live streams (an upgrade's subscription) would hold their connections open: they end now, and a
      // watcher resumes on another instance with afterSequence.
      await runtime.live.close();
      server.close(async () => {
        await runtime.close();
        logger.info('stopped');
        process.exit(0);
      });
      // Idle keep-alive sockets would hold close() open; active ones finish their request first.
      (server as unknown as { closeIdleConnections?: () => void }).closeIdleConnections?.();
    };
    // The drain window lets a load balancer see the 503 and stop routing before the listener goes.
    setTimeout(() => void close(), config.shutdownDrainSeconds * 1000);
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

/** What a newcomer needs after the first `npm start`: where it is, and the README's next step. */
function banner(address: string, secretsPath: string): string {
  const local = address.replace('//127.0.0.1:', '//localhost:');
  return [
    '',
    `  AxonFlow Enterprise API is running at ${local}`,
    `  GraphiQL:          ${local}/graphql`,
    `  Generated secrets: ${secretsPath} (development only; the admin key is ADMIN_API_KEY there)`,
    '  Next (README, "The first five minutes"): create an organization with POST /api/v1/admin/organizations',
    '',
    '',
  ].join('\n');
}

main().catch((err) => {
  process.stderr.write(`failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
