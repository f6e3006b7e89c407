/**
 * The SCIM schemas this service implements (RFC 7643 §4 and §8.7.1), as data: discovery prints them, input is
 * normalised against them (attribute names are case-insensitive), PATCH knows from them what is multi-valued,
 * boolean or read-only, and projection knows what is always or never returned. Every attribute listed here is
 * stored and given back; nothing is advertised that is not.
 */

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const ENTERPRISE_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const SPC_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
export const RESOURCE_TYPE_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';
export const SCHEMA_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';

export type AttributeType = 'string' | 'boolean' | 'decimal' | 'integer' | 'dateTime' | 'reference' | 'complex' | 'binary';
export type Mutability = 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
export type Returned = 'always' | 'never' | 'default' | 'request';

export interface AttributeDef {
  name: string;
  type: AttributeType;
  multiValued: boolean;
  description: string;
  required: boolean;
  caseExact: boolean;
  mutability: Mutability;
  returned: Returned;
  uniqueness: 'none' | 'server' | 'global';
  subAttributes?: AttributeDef[];
  canonicalValues?: string[];
  referenceTypes?: string[];
}

export interface SchemaDef {
  id: string;
  name: string;
  description: string;
  attributes: AttributeDef[];
}

type Options = Partial<Omit<AttributeDef, 'name' | 'type' | 'description'>>;

function attr(name: string, type: AttributeType, description: string, o: Options = {}): AttributeDef {
  return {
    name,
    type,
    multiValued: false,
    description,
    required: false,
    caseExact: false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
    ...o,
  };
}

const str = (name: string, description: string, o: Options = {}) => attr(name, 'string', description, o);

/** value, display, type, primary: the shape of emails, phoneNumbers, ims, photos, entitlements, roles. */
function multi(name: string, description: string, types: string[] | undefined, valueType: AttributeType = 'string'): AttributeDef {
  return attr(name, 'complex', description, {
    multiValued: true,
    subAttributes: [
      attr('value', valueType, `The ${name} value.`),
      str('display', 'A human-readable name, primarily used for display purposes.'),
      str('type', 'A label indicating the function of the value.', types ? { canonicalValues: types } : {}),
      attr('primary', 'boolean', 'Indicates the primary or preferred value; at most one value has it.'),
    ],
  });
}

const reference = (description: string, referenceTypes: string[]) =>
  attr('$ref', 'reference', description, { referenceTypes, mutability: 'immutable' });

export const USER: SchemaDef = {
  id: USER_SCHEMA,
  name: 'User',
  description: 'User Account',
  attributes: [
    str('userName', 'Unique identifier for the User, typically used to sign in; unique case-insensitively within the organization.', {
      required: true,
      uniqueness: 'server',
    }),
    attr('name', 'complex', "The components of the user's name.", {
      subAttributes: [
        str('formatted', 'The full name, formatted for display.'),
        str('familyName', 'The family name.'),
        str('givenName', 'The given name.'),
        str('middleName', 'The middle name(s).'),
        str('honorificPrefix', 'The honorific prefix(es).'),
        str('honorificSuffix', 'The honorific suffix(es).'),
      ],
    }),
    str('displayName', 'The name of the User, suitable for display to end-users.'),
    str('nickName', 'The casual way to address the user.'),
    attr('profileUrl', 'reference', "A URI of the user's online profile.", { referenceTypes: ['external'] }),
    str('title', "The user's title, such as Vice President."),
    str('userType', 'The relationship between the organization and the user, such as Employee or Contractor.'),
    str('preferredLanguage', "The user's preferred written or spoken language."),
    str('locale', "The user's default location, for localizing currency, dates and numbers."),
    str('timezone', "The user's time zone in IANA format."),
    attr('active', 'boolean', "The user's administrative status: false ends their sessions and access to the portal."),
    multi('emails', 'Email addresses for the user.', ['work', 'home', 'other']),
    multi('phoneNumbers', 'Phone numbers for the user.', ['work', 'home', 'mobile', 'fax', 'pager', 'other']),
    multi('ims', 'Instant messaging addresses for the user.', undefined),
    multi('photos', 'URLs of photos of the user.', ['photo', 'thumbnail'], 'reference'),
    attr('addresses', 'complex', 'Physical mailing addresses for this user.', {
      multiValued: true,
      subAttributes: [
        str('formatted', 'The full mailing address, formatted for display.'),
        str('streetAddress', 'The full street address component.'),
        str('locality', 'The city or locality component.'),
        str('region', 'The state or region component.'),
        str('postalCode', 'The zip code or postal code component.'),
        str('country', 'The country name component.'),
        str('type', 'A label indicating the function of the address.', { canonicalValues: ['work', 'home', 'other'] }),
        attr('primary', 'boolean', 'Indicates the primary or preferred address.'),
      ],
    }),
    attr('groups', 'complex', 'The groups the user belongs to, as their memberships say; managed through the Groups.', {
      multiValued: true,
      mutability: 'readOnly',
      subAttributes: [
        str('value', 'The id of the group.', { mutability: 'readOnly' }),
        attr('$ref', 'reference', 'The URI of the group.', { referenceTypes: ['Group'], mutability: 'readOnly' }),
        str('display', 'The displayName of the group.', { mutability: 'readOnly' }),
        str('type', 'direct', { mutability: 'readOnly', canonicalValues: ['direct'] }),
      ],
    }),
    multi('entitlements', 'Entitlements of the user.', undefined),
    multi('roles', 'Roles of the user as the identity provider names them (portal roles come from group mappings).', undefined),
    multi('x509Certificates', 'X.509 certificates of the user (DER, base64).', undefined, 'binary'),
  ],
};

export const ENTERPRISE_USER: SchemaDef = {
  id: ENTERPRISE_SCHEMA,
  name: 'EnterpriseUser',
  description: 'Enterprise User',
  attributes: [
    str('employeeNumber', 'A string identifier, typically numeric or alphanumeric, assigned to a person.'),
    str('costCenter', 'Identifies the name of a cost center.'),
    str('organization', 'Identifies the name of an organization.'),
    str('division', 'Identifies the name of a division.'),
    str('department', 'Identifies the name of a department.'),
    attr('manager', 'complex', "The user's manager.", {
      subAttributes: [
        str('value', 'The id of the SCIM resource representing the manager.', { caseExact: true }),
        reference('The URI of the SCIM resource representing the manager.', ['User']),
      ],
    }),
  ],
};

export const GROUP: SchemaDef = {
  id: GROUP_SCHEMA,
  name: 'Group',
  description: 'Group',
  attributes: [
    str('displayName', 'A human-readable name for the Group; unique case-insensitively within the organization.', {
      required: true,
      uniqueness: 'server',
    }),
    attr('members', 'complex', 'The members of the Group (users).', {
      multiValued: true,
      subAttributes: [
        str('value', 'The id of the member.', { mutability: 'immutable', caseExact: true }),
        reference('The URI of the member.', ['User']),
        str('display', 'The displayName of the member.', { mutability: 'readOnly' }),
        str('type', 'The type of the member.', { mutability: 'immutable', canonicalValues: ['User'] }),
      ],
    }),
  ],
};

/** The attributes every resource has (RFC 7643 §3.1), which /Schemas does not list per schema. */
export const COMMON: AttributeDef[] = [
  str('id', 'Unique identifier of the resource, issued by the service.', {
    caseExact: true,
    mutability: 'readOnly',
    returned: 'always',
    uniqueness: 'server',
  }),
  str('externalId', "The identifier of the resource in the provisioning client's own system.", { caseExact: true }),
  attr('meta', 'complex', 'Resource metadata.', {
    mutability: 'readOnly',
    subAttributes: [
      str('resourceType', 'The resource type.', { mutability: 'readOnly', caseExact: true }),
      attr('created', 'dateTime', 'When the resource was added.', { mutability: 'readOnly' }),
      attr('lastModified', 'dateTime', 'When the resource was last changed.', { mutability: 'readOnly' }),
      attr('location', 'reference', 'The URI of the resource.', { mutability: 'readOnly', caseExact: true }),
      str('version', 'The version (ETag) of the resource.', { mutability: 'readOnly', caseExact: true }),
    ],
  }),
];

export const SCHEMAS: SchemaDef[] = [USER, ENTERPRISE_USER, GROUP];

export interface ResourceTypeDef {
  name: 'User' | 'Group';
  endpoint: '/Users' | '/Groups';
  schema: SchemaDef;
  extensions: SchemaDef[];
}

export const RESOURCE_TYPES: ResourceTypeDef[] = [
  { name: 'User', endpoint: '/Users', schema: USER, extensions: [ENTERPRISE_USER] },
  { name: 'Group', endpoint: '/Groups', schema: GROUP, extensions: [] },
];

export const USER_TYPE = RESOURCE_TYPES[0];
export const GROUP_TYPE = RESOURCE_TYPES[1];

/** Looks an attribute up by name, case-insensitively, among a list of definitions. */
export function findAttribute(defs: readonly AttributeDef[], name: string): AttributeDef | undefined {
  const lower = name.toLowerCase();
  return defs.find((d) => d.name.toLowerCase() === lower);
}
