// The layer rules of ../shared/DESIGN.md, checked in CI (npm run lint:deps). An arrow never runs back up:
//   app.ts, server.ts, main.ts      compose everything
//   graphql/, rest/ (the faces)     may use http/ (the HTTP toolkit), context.ts, services/, auth/, domain/
//   http/                           middleware and HTTP rules; knows no face
//   services/                       domain rules; no face, no HTTP
//   auth/                           credentials and permissions; no services, no db
//   db/                             queries and migrations; only domain/ below it
//   jobs/                           the background job runner and its periodic work; over db/, no services, no face
//   domain/, clock, ids, logger     leaves: they import nothing of ours
//   licenses/                       the pure license format
//   crypto/, outbound/              shared mechanisms (secret box, guarded fetch): leaves over node and libraries
//   live/                           live updates (wake-ups across instances): over node and pg
//   sso-flows/                      the browser face of SSO logins; like scim/, it leans on services
//   config.ts                       environment -> Config; knows db kinds and the license format only
const layer = (name, forbidden, comment) => ({
  name,
  comment,
  severity: 'error',
  from: { path: `^src/${name.split(':')[0]}` },
  to: { path: `^src/(${forbidden.join('|')})` },
});

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'modules that need each other are one module, or need a leaf', from: {}, to: { circular: true } },
    layer('domain', ['(?!domain/)'], 'domain/ is the leaf every layer imports'),
    layer('clock', ['(?!clock)'], 'a leaf'),
    layer('ids', ['(?!ids)'], 'a leaf'),
    layer('logger', ['(?!logger)'], 'a leaf'),
    layer('licenses', ['(?!licenses/)'], 'the license format is pure: the offline verifier runs it alone'),
    layer('crypto', ['(?!crypto/)'], 'the secret box is a leaf every area seals with'),
    layer('outbound', ['(?!outbound/)'], 'the guarded outbound client is a leaf every area fetches with'),
    layer('live', ['(?!(live/|db/database))'], 'live updates are wake-ups over node and pg; they know the database settings, nothing else'),
    layer('sso-flows', ['app', 'server', 'main', 'rest', 'scim', 'graphql'], 'the SSO browser face is composed by app.ts and leans on no other face'),
    layer('config', ['(?!(config|db/database|licenses/|outbound/allow-hosts))'], 'configuration reads the environment; it knows the database kinds and the license key format, nothing else'),
    layer('db', ['auth', 'services', 'jobs', 'graphql', 'rest', 'http', 'context', 'config', 'app', 'server', 'main'], 'db/ knows only domain/'),
    layer('jobs', ['(?!(jobs/|db/|domain/|clock\\.|logger\\.|ids\\.))'], 'jobs/ runs rows of db/ with the clock and the logger; services register handlers through server.ts, never the other way round'),
    layer('auth', ['services', 'db', 'graphql', 'rest', 'http', 'context', 'app', 'server', 'main'], 'auth/ declares what it needs (CredentialVerifiers) instead of importing services'),
    layer('services', ['graphql', 'rest', 'http', 'context', 'app', 'server', 'main'], 'services know no face and no HTTP'),
    layer('http', ['graphql', 'rest', 'app', 'server', 'main'], 'http/ is the toolkit the faces use; it knows no face'),
    layer('context', ['graphql', 'rest', 'http', 'app', 'server', 'main'], 'the request context belongs to no face'),
    layer('graphql', ['rest', 'scim', 'app', 'server', 'main'], 'GraphQL does not lean on the REST face'),
    layer('rest', ['app', 'server', 'main', 'scim'], 'REST rows are composed by app.ts, not the other way round'),
    layer('scim', ['app', 'server', 'main', 'rest'], 'the SCIM face is composed by app.ts and leans on no other face but the scopes GraphQL declares'),
    {
      name: 'no-sql-in-faces',
      comment: 'faces reach data through services; they may name db types, never call queries',
      severity: 'error',
      from: { path: '^src/(graphql|rest|scim|sso-flows|http|context)' },
      to: { path: '^src/db/', dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(dist|node_modules)' },
  },
};
