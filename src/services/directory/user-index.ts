import type { IndexedValue, UserIndex } from '../../db/directory.js';
import { INDEXED_USER_VALUES } from '../../domain/directory.js';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

type Doc = Record<string, unknown>;

const lower = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v.toLowerCase() : null);
const exact = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const obj = (v: unknown): Doc => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Doc) : {});

/** The filterable columns of a canonical user document: what filters and sorts read instead of the JSON. */
export function userIndex(doc: Doc): { index: UserIndex; values: IndexedValue[] } {
  const name = obj(doc.name);
  const ent = obj(doc[ENTERPRISE]);
  const index: UserIndex = {
    external_id: exact(doc.externalId),
    user_name: String(doc.userName).toLowerCase(),
    display_name: lower(doc.displayName),
    given_name: lower(name.givenName),
    family_name: lower(name.familyName),
    formatted_name: lower(name.formatted),
    nick_name: lower(doc.nickName),
    title: lower(doc.title),
    user_type: lower(doc.userType),
    locale: lower(doc.locale),
    preferred_language: lower(doc.preferredLanguage),
    timezone: lower(doc.timezone),
    active: doc.active === false ? 0 : 1,
    employee_number: lower(ent.employeeNumber),
    cost_center: lower(ent.costCenter),
    organization: lower(ent.organization),
    division: lower(ent.division),
    department: lower(ent.department),
    manager_id: exact(obj(ent.manager).value),
  };
  const values: IndexedValue[] = [];
  for (const attr of INDEXED_USER_VALUES) {
    const list = doc[attr];
    if (!Array.isArray(list)) continue;
    for (const item of list) {
      const v = obj(item);
      values.push({ attr, value: lower(v.value), type: lower(v.type), display: lower(v.display), primary: typeof v.primary === 'boolean' ? v.primary : null });
    }
  }
  return { index, values };
}

/** The portal sign-in of a provisioned user: userName when it is an address, else the primary email. */
export function portalEmail(doc: Doc): string {
  const userName = String(doc.userName);
  if (userName.includes('@')) return userName;
  const emails = Array.isArray(doc.emails) ? (doc.emails as Doc[]) : [];
  const chosen = emails.find((e) => e.primary === true) ?? emails.find((e) => e.type === 'work') ?? emails[0];
  return typeof chosen?.value === 'string' && chosen.value.includes('@') ? chosen.value : userName;
}

/** How the portal shows a provisioned user. */
export function portalName(doc: Doc): string {
  const name = obj(doc.name);
  const parts = [name.givenName, name.familyName].filter((p): p is string => typeof p === 'string' && p !== '');
  const chosen = exact(doc.displayName) ?? exact(name.formatted) ?? (parts.length ? parts.join(' ') : null) ?? String(doc.userName);
  return chosen.slice(0, 200);
}
