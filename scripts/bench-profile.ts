// Where the service's CPU goes on each bench path: one server per path under --cpu-prof, driven by
// autocannon, then the profile's self time grouped by where the code lives. Run after a build:
// (the profiler itself slows the server; the shares are what count)
//   node dist/scripts/bench-profile.js [seconds] [path index]   (PROFILE_TOP=20 lists the top functions)
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { setUpPaths } from './bench-paths.js';
import { spawnServer } from './bench-server.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  hitCount: number;
}

const BUCKETS: [string, RegExp][] = [
  ['yoga / whatwg-node / envelop', /graphql-yoga|@whatwg-node|@envelop|@graphql-tools|undici|node:internal\/deps\/undici|webstreams/],
  ['graphql-js', /node_modules\/graphql\//],
  ['armor', /graphql-armor/],
  ['pothos', /@pothos/],
  ['kysely', /kysely/],
  ['better-sqlite3 / pg', /better-sqlite3|node_modules\/pg/],
  ['hono / node-server', /hono/],
  ['pino', /pino|sonic-boom/],
  ['dataloader', /dataloader/],
  ['our code', /\/dist\/src\//],
  ['node http / net', /node:_http|node:net|node:internal\/(http|stream|net)|node:stream/],
];

function summarise(file: string): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[] };
  const totals = new Map<string, number>();
  let busy = 0;
  for (const n of profile.nodes) {
    const name = n.callFrame.functionName;
    if (name === '(idle)' || name === '(program)') continue;
    busy += n.hitCount;
    const bucket =
      name === '(garbage collector)' ? 'GC' : (BUCKETS.find(([, re]) => re.test(n.callFrame.url))?.[0] ?? (n.callFrame.url ? 'other js' : 'native / runtime'));
    totals.set(bucket, (totals.get(bucket) ?? 0) + n.hitCount);
  }
  const share = (v: number) => `${((100 * v) / busy).toFixed(1).padStart(5)} %`;
  const lines = [...totals.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `    ${k.padEnd(30)} ${share(v)}`);
  if (process.env.PROFILE_TOP) {
    const fns = new Map<string, number>();
    for (const n of profile.nodes) {
      const key = `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/^.*node_modules\//, '').replace(/^.*\/dist\//, '')}`;
      fns.set(key, (fns.get(key) ?? 0) + n.hitCount);
    }
    const top = [...fns.entries()].filter(([k]) => !/^\((idle|program)\)/.test(k)).sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.PROFILE_TOP));
    lines.push('    top functions (self time):', ...top.map(([k, v]) => `      ${share(v)}  ${k.slice(0, 110)}`));
  }
  return lines.join('\n');
}

async function profilePath(index: number, seconds: number): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'axon-profile-'));
  const file = join(dataDir, 'profile.cpuprofile');
  const { proc, url } = await spawnServer(join(import.meta.dirname, 'bench-profiled-server.js'), { DATA_DIR: dataDir, LOG_LEVEL: 'info', PROFILE_FILE: file });
  try {
    const adminKey = JSON.parse(readFileSync(join(dataDir, 'dev-secrets.json'), 'utf8')).ADMIN_API_KEY as string;
    const p = (await setUpPaths(fetch, url, adminKey))[index];
    // A second of warm-up, then the profiled run.
    await autocannon({ url: `${url}${p.path}`, connections: 20, duration: 1, method: p.method, headers: p.headers, body: p.body });
    proc.kill('SIGUSR2');
    await new Promise((r) => setTimeout(r, 200));
    const r = await autocannon({ url: `${url}${p.path}`, connections: 20, duration: seconds, method: p.method, headers: p.headers, body: p.body });
    proc.kill('SIGUSR2');
    await new Promise((r) => proc.once('exit', r));
    return `  ${p.name}: ${r.requests.average.toFixed(0)} req/s\n${summarise(file)}`;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const seconds = Number(process.argv[2] ?? 5);
const only = process.argv[3] === undefined ? [0, 1, 2, 3, 4] : [Number(process.argv[3])];
for (const i of only) process.stdout.write(`${await profilePath(i, seconds)}\n`);
