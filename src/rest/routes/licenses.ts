import type { Route } from '../router.js';

export const licenseRoutes: Route[] = [];
