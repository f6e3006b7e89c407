import type { Route } from '../router.js';

export const keyRoutes: Route[] = [];
