import { it } from 'node:test';
import { Harness } from '../helpers/harness.js';
it('probe', async () => {
  const { h, cookie } = await Harness.withOrgSession('acme');
  const m = `mutation($input: ConnectorInstallInput!) { installConnector(id: "custom", input: $input) { created } }`;
  console.log(JSON.stringify(await h.graphql(m, { input: { connectionUrl: 'https://a.example.com', credentials: 'pw-SECRET-1' } }, { cookie })));
  console.log(JSON.stringify(await h.graphql(m, { input: { connectionUrl: 'https://a.example.com', credentials: { a: { nested: 'pw-SECRET-2' } } } }, { cookie })));
  console.log(JSON.stringify(await h.graphql(`mutation { installConnector(id: "custom", input: {connectionUrl: "https://a.example.com", credentials: "pw-SECRET-3"}) { created } }`, {}, { cookie })));
  console.log(JSON.stringify((await h.call('POST', '/api/v1/connectors/custom/install', { cookie, body: { connection_url: 'https://a.example.com', credentials: 'pw-SECRET-4' } })).body));
  console.log(JSON.stringify((await h.call('POST', '/api/v1/connectors/custom/install', { cookie, body: { connection_url: 'https://a.example.com/#access_token=pw-SECRET-5' } })).body));
  console.log(JSON.stringify((await h.call('POST', '/api/v1/connectors/custom/install', { cookie, body: { connection_url: 'https://a.example.com/x;password=pw-SECRET-6' } })).body));
  const logs = JSON.stringify(h.logs);
  console.log(logs.length, [1,2,3,4,5,6].filter(i => logs.includes(`pw-SECRET-${i}`)));
  const audit = JSON.stringify(await h.runtime.database.db.selectFrom('audit_events').selectAll().execute());
  console.log([1,2,3,4,5,6].filter(i => audit.includes(`pw-SECRET-${i}`)));
  console.log(h.logs.slice(-3));
  await h.close();
});
