import { createServer } from 'node:http';

// The floor the real service is measured against: a bare node:http server answering a session-shaped
// JSON body, with nothing between the socket and the answer.
const body = JSON.stringify({
  authenticated: true,
  org_id: 'bench',
  email: null,
  name: 'Bench',
  role: 'owner',
  permissions: ['org:read', 'usage:read'],
  expires_at: new Date(Date.now() + 86400_000).toISOString(),
});
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(`${JSON.stringify({ address: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}` })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
