import { snakeKeys } from '../case.js';
import { queryString } from '../input.js';
import { type RestRequest, type Route, route } from '../router.js';

const BREAKDOWN = 'total byKey { key count points { bucket count } }';

function windowArgs(req: RestRequest) {
  return { from: queryString(req, 'from'), to: queryString(req, 'to'), granularity: queryString(req, 'granularity') };
}

/** The module is spelt in the document: the gate judges it before the query string is. */
function dashboardRoute(path: string, module: 'eu_ai_act' | 'hitl'): Route {
  return route('GET', path, {
    operation: `query($from: String, $to: String, $granularity: ComplianceDashboardGranularity) {
      complianceDashboard(module: ${module}, from: $from, to: $to, granularity: $granularity) {
      module from to granularity buckets exports { ${BREAKDOWN} } assessments { ${BREAKDOWN} } hitlDecisions { ${BREAKDOWN} }
      policyViolations { ${BREAKDOWN} } } }`,
    variables: windowArgs,
    respond: (d) => {
      const { assessments, hitlDecisions, ...rest } = d.complianceDashboard;
      // Sections a module does not have are left out rather than null.
      return { status: 200, body: snakeKeys({ ...rest, ...(assessments ? { assessments } : {}), ...(hitlDecisions ? { hitlDecisions } : {}) }) };
    },
  });
}

export const dashboardRoutes: Route[] = [dashboardRoute('/api/v1/euaiact/dashboard', 'eu_ai_act'), dashboardRoute('/api/v1/hitl/dashboard', 'hitl')];
