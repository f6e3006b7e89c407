import type { Route } from '../router.js';
import { adminRoutes } from './admin.js';
import { authRoutes } from './auth.js';

/** The route table: every documented REST path, one row each. */
export const routes: Route[] = [...authRoutes, ...adminRoutes];
