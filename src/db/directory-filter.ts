import { PostgresAdapter, type RawBuilder, type SqlBool, sql } from 'kysely';
import type { DirectoryFilter, DirectorySort, FilterValue } from '../domain/directory.js';
import { InvalidInput } from '../domain/errors.js';
import type { Executor } from './database.js';

/**
 * Compiles a directory filter to SQL over the attribute columns of scim_users (alias u) or scim_groups (alias
 * g). The same text means the same on both databases: values of attributes that are not case-exact are kept
 * and compared lower-cased (lowered once, in JavaScript, on both sides); substring tests use substr and
 * replace instead of LIKE (whose case rules differ); ordering comparisons use byte order (COLLATE "C" on
 * PostgreSQL, SQLite's default). Every comparison is two-valued (a missing attribute is false, not NULL),
 * so `not` means what it says.
 */

type Column = { sql: RawBuilder<unknown>; boolean?: boolean };
type Columns = Record<string, Column>;

interface Multi {
  /** EXISTS (select 1 from ... where <correlation> and <filter over columns>) */
  from: (inner: RawBuilder<SqlBool>) => RawBuilder<SqlBool>;
  columns: Columns;
}

interface Target {
  single: Columns;
  multi: Record<string, Multi>;
}

const col = (ref: string, boolean = false): Column => ({ sql: sql.ref(ref), boolean });

function userValues(attr: string): Multi {
  return {
    from: (inner) =>
      sql<SqlBool>`exists (select 1 from scim_user_values v where v.user_id = u.id and v.attr = ${attr} and ${inner})`,
    columns: { value: col('v.value'), type: col('v.type'), display: col('v.display'), primary: col('v.is_primary', true) },
  };
}

const USERS: Target = {
  single: {
    id: col('u.id'),
    externalId: col('u.external_id'),
    userName: col('u.user_name'),
    displayName: col('u.display_name'),
    nickName: col('u.nick_name'),
    title: col('u.title'),
    userType: col('u.user_type'),
    locale: col('u.locale'),
    preferredLanguage: col('u.preferred_language'),
    timezone: col('u.timezone'),
    active: col('u.active', true),
    'name.givenName': col('u.given_name'),
    'name.familyName': col('u.family_name'),
    'name.formatted': col('u.formatted_name'),
    'meta.created': col('u.created_at'),
    'meta.lastModified': col('u.updated_at'),
    employeeNumber: col('u.employee_number'),
    costCenter: col('u.cost_center'),
    organization: col('u.organization'),
    division: col('u.division'),
    department: col('u.department'),
    'manager.value': col('u.manager_id'),
  },
  multi: {
    emails: userValues('emails'),
    phoneNumbers: userValues('phoneNumbers'),
    ims: userValues('ims'),
    photos: userValues('photos'),
    entitlements: userValues('entitlements'),
    roles: userValues('roles'),
    groups: {
      from: (inner) =>
        sql<SqlBool>`exists (select 1 from scim_members m inner join scim_groups mg on mg.id = m.group_id where m.org_id = u.org_id and m.user_id = u.id and ${inner})`,
      columns: { value: col('m.group_id'), display: col('mg.display_name_lower') },
    },
  },
};

const GROUPS: Target = {
  single: {
    id: col('g.id'),
    externalId: col('g.external_id'),
    displayName: col('g.display_name_lower'),
    'meta.created': col('g.created_at'),
    'meta.lastModified': col('g.updated_at'),
  },
  multi: {
    members: {
      from: (inner) => sql<SqlBool>`exists (select 1 from scim_members m where m.org_id = g.org_id and m.group_id = g.id and ${inner})`,
      columns: { value: col('m.user_id') },
    },
  },
};

export type FilterTarget = 'users' | 'groups';
const TARGETS: Record<FilterTarget, Target> = { users: USERS, groups: GROUPS };

function unknown(name: string): never {
  // The parser only lets through attributes of the allow-list; this is the second lock of the same door.
  throw new InvalidInput(`${name.slice(0, 64)} is not an attribute that can be filtered`, undefined, undefined, 'filter');
}

class SqlCompiler {
  constructor(
    private readonly target: Target,
    private readonly postgres: boolean,
  ) {}

  private ordered(c: RawBuilder<unknown>): RawBuilder<unknown> {
    return this.postgres ? sql`${c} collate "C"` : c;
  }

  private compare(c: Column, op: string, v: FilterValue): RawBuilder<SqlBool> {
    const x = c.sql;
    if (v === null) return op === 'eq' ? sql<SqlBool>`(${x} is null)` : sql<SqlBool>`(${x} is not null)`;
    if (c.boolean) {
      const n = v === true ? 1 : 0;
      return op === 'eq' ? sql<SqlBool>`(${x} = ${n})` : sql<SqlBool>`(${x} is null or ${x} <> ${n})`;
    }
    const s = String(v);
    // SQL's length and substr count code points (both databases); JavaScript's length counts UTF-16 units.
    const n = [...s].length;
    switch (op) {
      case 'eq':
        // Guarded like the others: a missing value is false, not NULL, or `not (x eq "v")` would drop it.
        return sql<SqlBool>`(${x} is not null and ${x} = ${s})`;
      case 'ne':
        return sql<SqlBool>`(${x} is null or ${x} <> ${s})`;
      case 'sw':
        return sql<SqlBool>`(${x} is not null and substr(${x}, 1, ${n}) = ${s})`;
      case 'ew':
        return sql<SqlBool>`(${x} is not null and length(${x}) >= ${n} and substr(${x}, length(${x}) - ${n - 1}) = ${s})`;
      case 'co':
        return s === ''
          ? sql<SqlBool>`(${x} is not null)`
          : sql<SqlBool>`(${x} is not null and length(replace(${x}, ${s}, '')) < length(${x}))`;
      case 'gt':
        return sql<SqlBool>`(${x} is not null and ${this.ordered(x)} > ${s})`;
      case 'ge':
        return sql<SqlBool>`(${x} is not null and ${this.ordered(x)} >= ${s})`;
      case 'lt':
        return sql<SqlBool>`(${x} is not null and ${this.ordered(x)} < ${s})`;
      case 'le':
        return sql<SqlBool>`(${x} is not null and ${this.ordered(x)} <= ${s})`;
      default:
        return unknown(op);
    }
  }

  node(f: DirectoryFilter, columns: Columns): RawBuilder<SqlBool> {
    switch (f.kind) {
      case 'and':
      case 'or': {
        const parts = f.filters.map((x) => this.node(x, columns));
        return sql<SqlBool>`(${sql.join(parts, f.kind === 'and' ? sql` and ` : sql` or `)})`;
      }
      case 'not':
        return sql<SqlBool>`(not ${this.node(f.filter, columns)})`;
      case 'present': {
        const c = columns[f.attribute] ?? unknown(f.attribute);
        return c.boolean ? sql<SqlBool>`(${c.sql} is not null)` : sql<SqlBool>`(${c.sql} is not null and ${c.sql} <> '')`;
      }
      case 'compare':
        return this.compare(columns[f.attribute] ?? unknown(f.attribute), f.op, f.value);
      case 'any': {
        const multi = this.target.multi[f.attribute] ?? unknown(f.attribute);
        return multi.from(this.node(f.filter, multi.columns));
      }
    }
  }

  sort(s: DirectorySort): RawBuilder<unknown> {
    const dir = s.descending ? sql`desc` : sql`asc`;
    const single = this.target.single[s.attribute];
    if (single) return sql`case when ${single.sql} is null then 1 else 0 end, ${this.ordered(single.sql)} ${dir}`;
    const [multiName] = s.attribute.split('.');
    if (this.target === USERS && multiName in USERS.multi && multiName !== 'groups') {
      // A multi-valued attribute sorts by its primary value, else its first (RFC 7644 §3.4.2.3).
      const v = sql`(select v.value from scim_user_values v where v.user_id = u.id and v.attr = ${multiName} order by coalesce(v.is_primary, 0) desc, v.position limit 1)`;
      return sql`case when ${v} is null then 1 else 0 end, ${this.ordered(v)} ${dir}`;
    }
    return unknown(s.attribute);
  }
}

export function isPostgres(db: Executor): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

export function compileFilter(db: Executor, target: FilterTarget, filter: DirectoryFilter): RawBuilder<SqlBool> {
  const t = TARGETS[target];
  return new SqlCompiler(t, isPostgres(db)).node(filter, t.single);
}

/** ORDER BY terms for a sort key (missing values last either way); the caller adds the id tie-breaker. */
export function compileSort(db: Executor, target: FilterTarget, sort: DirectorySort): RawBuilder<unknown> {
  return new SqlCompiler(TARGETS[target], isPostgres(db)).sort(sort);
}
