import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { withoutVariableValue } from '../../src/graphql/yoga.js';
import { Harness } from '../helpers/harness.js';

// graphql-js prints a variable's value in its coercion errors; the value may be the very secret being set.
describe('GraphQL variable errors never repeat the value', () => {
  let h: Harness;
  let cookie: string;
  before(async () => {
    ({ h, cookie } = await Harness.withOrgSession('acme'));
  });
  after(() => h.close());

  const SECRET = 'sk-must-not-come-back-1234';
  const cases: [string, string, Record<string, unknown>][] = [
    ['an unknown field beside a key', 'mutation($input: LlmProviderInput!) { createLlmProvider(input: $input) { name } }', { input: { name: 'p', type: 'openai', apiKey: SECRET, bogus: 1 } }],
    ['a key of the wrong type', 'mutation($input: LlmProviderInput!) { createLlmProvider(input: $input) { name } }', { input: { name: 'p', type: 'openai', apiKey: { value: SECRET } } }],
    ['credentials that are not an object', 'mutation($id: ID!, $input: ConnectorInstallInput!) { installConnector(id: $id, input: $input) { created } }', { id: 'postgres', input: { credentials: SECRET } }],
  ];
  for (const [what, query, variables] of cases) {
    for (const repeat of [1, 12]) {
      // The twelfth run of a document goes through compiled execution: both paths are checked.
      it(`${what} (run ${repeat > 1 ? 'compiled' : 'interpreted'}): the error names the variable, not the value`, async () => {
        let body: any;
        for (let i = 0; i < repeat; i++) body = await h.graphql(query, variables, { cookie });
        const text = JSON.stringify(body);
        assert.ok(body.errors?.length, text);
        assert.ok(!text.includes(SECRET), text);
        assert.match(body.errors[0].message, /^Variable "\$(input)" got an invalid value/);
      });
    }
  }

  it('keeps the path and graphql-js wording that names only types and fields', () => {
    assert.equal(
      withoutVariableValue('Variable "$input" got invalid value { apiKey: "sk-1", bogus: 1 }; Field "bogus" is not defined by type "LlmProviderInput".'),
      'Variable "$input" got an invalid value; Field "bogus" is not defined by type "LlmProviderInput".',
    );
    assert.equal(
      withoutVariableValue('Variable "$input" got invalid value "sk-1" at "input.credentials"; Expected type "JSONObject". JSONObject cannot represent non-object value: sk-1'),
      'Variable "$input" got an invalid value at "input.credentials"; Expected type "JSONObject".',
    );
    assert.equal(
      withoutVariableValue('Variable "$input" got invalid value "sk-1" at "input.role"; Value "sk-1" does not exist in "Role" enum. Did you mean the enum value "owner"?'),
      'Variable "$input" got an invalid value at "input.role"; Value does not exist in "Role" enum. Did you mean the enum value "owner"?',
    );
    assert.equal(
      withoutVariableValue('Variable "$i" got invalid value { orgID: "a" }; Field "orgID" is not defined by type "LoginInput". Did you mean "orgId"?'),
      'Variable "$i" got an invalid value; Field "orgID" is not defined by type "LoginInput". Did you mean "orgId"?',
    );
    assert.equal(withoutVariableValue('Cannot query field "x" on type "Query".'), 'Cannot query field "x" on type "Query".');
  });
});
