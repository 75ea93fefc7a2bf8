import { applyDecorators, Delete, Get, Post } from '@nestjs/common';
import { RequireScope } from './auth/scopes';
import type { GatewayRoute } from './gateway.constants';

const VERBS = { GET: Get, POST: Post, DELETE: Delete } as const;

/**
 * Serves a handler at a route of ROUTES, with the route's scope: the table that labels
 * metrics and tells a 405 from a 404 is the one the router serves, so the two cannot drift.
 * For controllers without a path prefix (`@Controller()`).
 */
export const Route = (route: GatewayRoute) =>
  applyDecorators(
    VERBS[route.method](route.path.replace(/\{(\w+)\}/g, ':$1')),
    ...(route.scope === undefined ? [] : [RequireScope(route.scope)]),
  );
