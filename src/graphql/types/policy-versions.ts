import type { PolicyVersion } from '../../domain/policies.js';
import { builder } from '../builder.js';

export const PolicyVersionRef = builder.objectRef<PolicyVersion>('PolicyVersion').implement({
  description: 'One change of a policy: the policy as it was after it, who made it and how.',
  fields: (t) => ({
    policyId: t.exposeString('policyId'),
    version: t.exposeInt('version', { description: '0 for a system policy as it shipped.' }),
    changeType: t.exposeString('changeType', { description: 'created, updated, toggled, deleted, override_set or override_removed.' }),
    changedBy: t.exposeString('changedBy', { description: '<principal kind>:<id> (user, api_key, system).' }),
    snapshot: t.field({ type: 'JSONObject', resolve: (v) => v.snapshot }),
    createdAt: t.field({ type: 'DateTime', resolve: (v) => v.createdAt }),
  }),
});
