// The bench's servers, each in a child process with its output in a file, and the median every figure is taken with.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Server {
  proc: ChildProcess;
  url: string;
}

/**
 * Starts a server whose output goes to a file, as a service's output goes to a log collector. Read through
 * a pipe by this process, whose event loop is busy generating load, every log line would wait for the
 * load generator: the figure would measure the bench, not the service.
 */
export async function spawnServer(script: string, env: Record<string, string>, args: string[] = []): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'axon-bench-out-'));
  const outFile = join(dir, 'stdout.log');
  const proc = spawn(process.execPath, [...args, script], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', openSync(outFile, 'w'), 'inherit'] });
  let exited: number | null | undefined;
  proc.on('exit', (code) => {
    exited = code;
    rmSync(dir, { recursive: true, force: true });
  });
  for (;;) {
    await new Promise((r) => setTimeout(r, 50));
    if (exited !== undefined) throw new Error(`${script} exited with ${exited}`);
    const m = /"address":"(http:\/\/[^"]+)"/.exec(readFileSync(outFile, 'utf8'));
    if (m) return { proc, url: m[1] };
  }
}

export async function stop(server: Server): Promise<void> {
  server.proc.kill('SIGTERM');
  await new Promise((r) => server.proc.once('exit', r));
}


export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
