/**
 * The directory's filter language, below every layer: the SCIM adapter and GraphQL hand a filter string to
 * the directory service, which parses it into this tree over the attributes below; the database layer
 * compiles the tree to SQL. An attribute not listed here cannot be filtered or sorted on.
 */

/**
 * No filter needs a control character, and the parser's string pattern backtracks exponentially on line
 * breaks inside an unclosed quote: list filters and PATCH path filters alike refuse them before parsing.
 */
export const FILTER_CONTROL = /[\u0000-\u001f\u007f]/;

export type FilterValue = string | number | boolean | null;
export type Comparison = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';

export type DirectoryFilter =
  | { kind: 'and' | 'or'; filters: DirectoryFilter[] }
  | { kind: 'not'; filter: DirectoryFilter }
  /** `value` is already lower-cased for an attribute that is not case-exact, and normalised for a dateTime. */
  | { kind: 'compare'; attribute: string; op: Comparison; value: FilterValue }
  | { kind: 'present'; attribute: string }
  /** Some value of the multi-valued `attribute` matches `filter`, whose attributes are its sub-attributes. */
  | { kind: 'any'; attribute: string; filter: DirectoryFilter };

export interface FilterableAttribute {
  type: 'string' | 'boolean' | 'dateTime';
  caseExact: boolean;
}

const text: FilterableAttribute = { type: 'string', caseExact: false };
const exact: FilterableAttribute = { type: 'string', caseExact: true };
const bool: FilterableAttribute = { type: 'boolean', caseExact: false };
const time: FilterableAttribute = { type: 'dateTime', caseExact: false };

/** Sub-attributes of a multi-valued attribute that filters can reach. */
export type MultiValued = Record<string, FilterableAttribute>;

const VALUES: MultiValued = { value: text, type: text, display: text, primary: bool };

export interface FilterableResource {
  /** Single-valued attributes by canonical path (`name.givenName`, `meta.created`). */
  single: Record<string, FilterableAttribute>;
  /** Multi-valued attributes and their filterable sub-attributes. */
  multi: Record<string, MultiValued>;
}

export const FILTERABLE_USER: FilterableResource = {
  single: {
    id: exact,
    externalId: exact,
    userName: text,
    displayName: text,
    nickName: text,
    title: text,
    userType: text,
    locale: text,
    preferredLanguage: text,
    timezone: text,
    active: bool,
    'name.givenName': text,
    'name.familyName': text,
    'name.formatted': text,
    'meta.created': time,
    'meta.lastModified': time,
    employeeNumber: text,
    costCenter: text,
    organization: text,
    division: text,
    department: text,
    'manager.value': exact,
  },
  multi: {
    emails: VALUES,
    phoneNumbers: VALUES,
    ims: VALUES,
    photos: VALUES,
    entitlements: VALUES,
    roles: VALUES,
    groups: { value: exact, display: text },
  },
};

export const FILTERABLE_GROUP: FilterableResource = {
  single: {
    id: exact,
    externalId: exact,
    displayName: text,
    'meta.created': time,
    'meta.lastModified': time,
  },
  multi: {
    members: { value: exact },
  },
};

/** The multi-valued user attributes kept as rows for filters (the resource keeps them whole). */
export const INDEXED_USER_VALUES = ['emails', 'phoneNumbers', 'ims', 'photos', 'entitlements', 'roles'] as const;

export interface DirectorySort {
  attribute: string;
  descending: boolean;
}
