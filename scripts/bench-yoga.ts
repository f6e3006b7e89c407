import { createServer } from 'node:http';
import { createSchema, createYoga } from 'graphql-yoga';

// Stock graphql-yoga on node:http, as its documentation sets it up, answering { hello }: the bar our
// GraphQL face is measured against.
const yoga = createYoga({
  schema: createSchema({ typeDefs: 'type Query { hello: String! }', resolvers: { Query: { hello: () => 'world' } } }),
  logging: false,
});
const server = createServer(yoga);
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(`${JSON.stringify({ address: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}` })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
