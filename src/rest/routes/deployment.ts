import type { Route } from '../router.js';

export const deploymentRoutes: Route[] = [];
