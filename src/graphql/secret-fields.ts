import {
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  getNamedType,
  isObjectType,
} from 'graphql';

/**
 * The response paths (alias by alias) of every field marked SECRET that an operation selects, fragments
 * included: the caller names the response keys, so secrets are found by what the fields are, not by name.
 */
export function secretPaths(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode): string[][] {
  const fragments = new Map(
    document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === 'FragmentDefinition').map((f) => [f.name.value, f]),
  );
  const root = operation.operation === 'mutation' ? schema.getMutationType() : schema.getQueryType();
  const out: string[][] = [];
  const walk = (set: SelectionSetNode, type: GraphQLObjectType, path: string[], seen: Set<string>) => {
    for (const sel of set.selections) {
      if (sel.kind === 'Field') {
        const field = type.getFields()[sel.name.value];
        if (!field) continue;
        const key = [...path, sel.alias?.value ?? sel.name.value];
        if (field.extensions?.secret === true) out.push(key);
        const named = getNamedType(field.type);
        if (sel.selectionSet && isObjectType(named)) walk(sel.selectionSet, named, key, seen);
      } else if (sel.kind === 'InlineFragment') {
        const on = sel.typeCondition ? schema.getType(sel.typeCondition.name.value) : type;
        if (isObjectType(on)) walk(sel.selectionSet, on, path, seen);
      } else {
        const fragment = fragments.get(sel.name.value);
        if (!fragment || seen.has(fragment.name.value)) continue;
        const on = schema.getType(fragment.typeCondition.name.value);
        if (isObjectType(on)) walk(fragment.selectionSet, on, path, new Set([...seen, fragment.name.value]));
      }
    }
  };
  if (root) walk(operation.selectionSet, root, [], new Set());
  return out;
}

/** A copy of the data without the values at those paths (lists are walked item by item). */
export function withoutPaths(data: unknown, paths: string[][]): unknown {
  const copy = JSON.parse(JSON.stringify(data ?? null)) as unknown;
  const drop = (node: unknown, path: string[]): void => {
    if (Array.isArray(node)) return node.forEach((item) => drop(item, path));
    if (!node || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    if (path.length === 1) delete record[path[0]];
    else drop(record[path[0]], path.slice(1));
  };
  for (const path of paths) drop(copy, path);
  return copy;
}
