// Plays a fleet of runtime nodes against a running service, as the README's upgrade walk-through needs:
// each node heartbeats every INTERVAL_MS; when an answer carries a desired_version other than the one it runs,
// the node "installs" it and reports it from its next heartbeat on.
//   API_KEY=axon_... npm run -s simulate-nodes            (a runtime key with the nodes:write scope)
// Settings (environment): BASE_URL (http://localhost:8080), NODES (2), ROLE (agent), VERSION (2.0.0),
// INTERVAL_MS (2000), ROUNDS (stop after this many heartbeats per node; 0 = until Ctrl-C).
const base = (process.env.BASE_URL ?? 'http://localhost:8080').replace(/\/$/, '');
const key = process.env.API_KEY;
const count = Number(process.env.NODES ?? 2);
const role = process.env.ROLE ?? 'agent';
const intervalMs = Number(process.env.INTERVAL_MS ?? 2000);
const rounds = Number(process.env.ROUNDS ?? 0);

if (!key) {
  process.stderr.write('API_KEY must be a runtime API key with the nodes:write scope (POST /api/v1/keys)\n');
  process.exit(64);
}

interface SimNode {
  id: string;
  version: string;
}

const fleet: SimNode[] = Array.from({ length: count }, (_, i) => ({ id: `${role}-sim-${i + 1}`, version: process.env.VERSION ?? '2.0.0' }));
const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);

async function heartbeat(node: SimNode): Promise<void> {
  const res = await fetch(`${base}/api/v1/nodes/heartbeat`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ node_id: node.id, hostname: `${node.id}.local`, role, version: node.version }),
  });
  const body = (await res.json()) as { desired_version?: string | null; error?: { message: string } };
  if (res.status !== 200) {
    log(`${node.id}: heartbeat refused ${res.status}: ${body.error?.message ?? JSON.stringify(body)}`);
    return;
  }
  const desired = body.desired_version ?? null;
  if (desired && desired !== node.version) {
    log(`${node.id}: reports ${node.version}; told to run ${desired}: installing, will report it next time`);
    node.version = desired;
  } else {
    log(`${node.id}: reports ${node.version}${desired ? ' (the version asked for)' : ''}`);
  }
}

let stopped = false;
process.on('SIGINT', () => {
  stopped = true;
});
for (let round = 1; !stopped && (rounds === 0 || round <= rounds); round++) {
  await Promise.all(fleet.map((n) => heartbeat(n).catch((err: Error) => log(`${n.id}: ${err.message}`))));
  if (!stopped && (rounds === 0 || round < rounds)) await new Promise((r) => setTimeout(r, intervalMs));
}
