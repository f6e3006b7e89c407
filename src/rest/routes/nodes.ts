import type { Route } from '../router.js';

export const nodeRoutes: Route[] = [];
