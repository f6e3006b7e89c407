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
import { InvalidInput } from '../services/errors.js';
import { toSnake } from './case.js';

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
 * first problem for a REST caller: snake_case field names, the expected type, and never the value sent
 * (it may be a password).
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
    const prefix = name === 'input' ? [] : [toSnake(name)];
    if (value === undefined) {
      if (def.type.kind === 'NonNullType' && !def.defaultValue) {
        throw new InvalidInput(`${prefix.join('.') || 'body'} is required`, prefix.join('.'));
      }
      continue;
    }
    coerceInputValue(value, type, (path, _invalid, error) => {
      const steps = path;
      const field = [...prefix, ...steps.map((s) => (typeof s === 'number' ? `[${s}]` : toSnake(s)))].join('.').replace(/\.\[/g, '[');
      const unknown = /^Field "([^"]+)" is not defined by type/.exec(error.message);
      if (unknown) {
        const where = field ? `${field}.` : '';
        throw new InvalidInput(`unknown field "${where}${toSnake(unknown[1])}"`, `${where}${toSnake(unknown[1])}`);
      }
      const missing = /^Field "([^"]+)" of required type/.exec(error.message);
      if (missing) {
        const f = `${field ? `${field}.` : ''}${toSnake(missing[1])}`;
        throw new InvalidInput(`${f} is required`, f);
      }
      const expected = typeAt(type, steps);
      const what = expected ? describe(expected) : `a ${getNamedType(type).name}`;
      throw new InvalidInput(`${field || 'body'} must be ${what}`, field);
    });
  }
}
