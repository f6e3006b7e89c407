import {
  type GraphQLInputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  coerceInputValue,
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isListType,
  typeFromAST,
} from 'graphql';
import { InvalidInput } from '../domain/errors.js';

function describe(type: GraphQLInputType): string {
  const t = getNullableType(type);
  if (isListType(t)) return 'a list';
  if (isInputObjectType(t)) return 'an object';
  if (isEnumType(t)) return `one of ${t.getValues().map((v) => v.value).join(', ')}`;
  switch (t.name) {
    case 'Int':
      return 'a whole number';
    case 'Float':
      return 'a number';
    case 'Boolean':
      return 'true or false';
    case 'DateTime':
      return 'an ISO-8601 timestamp';
    case 'JSONObject':
      return 'an object';
    case 'JSON':
      return 'a JSON value';
    default:
      return 'a string';
  }
}

function typeAt(root: GraphQLInputType, path: readonly (string | number)[]): GraphQLInputType | null {
  let t: GraphQLInputType = root;
  for (const step of path) {
    const n = getNullableType(t);
    if (typeof step === 'number' && isListType(n)) t = n.ofType;
    else if (typeof step === 'string' && isInputObjectType(n)) {
      const f = n.getFields()[step];
      if (!f) return null;
      t = f.type;
    } else return null;
  }
  return t;
}

/**
 * Checks REST-built variables against the operation's variable types before execution, and words the
 * first problem: the field (in GraphQL's names; the error envelope spells them snake_case), the expected
 * type, and never the value sent (it may be a password).
 */
export function checkVariables(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
): void {
  for (const def of operation.variableDefinitions ?? []) {
    const name = def.variable.name.value;
    const type = typeFromAST(schema, def.type) as GraphQLInputType;
    const value = variables[name];
    // By convention $input holds the body: its fields are reported without a prefix.
    const prefix = name === 'input' ? [] : [name];
    if (value === undefined) {
      if (def.type.kind === 'NonNullType' && !def.defaultValue) {
        throw prefix.length ? new InvalidInput('is required', name) : new InvalidInput('the body is required');
      }
      continue;
    }
    coerceInputValue(value, type, (path, _invalid, error) => {
      const field = [...prefix, ...path.map((s) => (typeof s === 'number' ? `[${s}]` : s))].join('.').replace(/\.\[/g, '[');
      const within = field ? `${field}.` : '';
      const unknown = /^Field "([^"]+)" is not defined by type/.exec(error.message);
      if (unknown) throw new InvalidInput('is not a field this route takes', `${within}${unknown[1]}`);
      const missing = /^Field "([^"]+)" of required type/.exec(error.message);
      if (missing) throw new InvalidInput('is required', `${within}${missing[1]}`);
      const expected = typeAt(type, path);
      const what = expected ? describe(expected) : `a ${getNamedType(type).name}`;
      throw field ? new InvalidInput(`must be ${what}`, field) : new InvalidInput(`the body must be ${what}`);
    });
  }
}
