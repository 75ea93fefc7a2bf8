import type { Scope } from '@rotor/access';

/**
 * Every route of the REST facade (DESIGN §5), in OpenAPI path syntax: the one home of its
 * method, path and scope. The controllers serve them from here (`@Route(ROUTES.x)`), and
 * SwaggerModule the last two; the table also gives metrics a bounded `route` label and
 * tells a 405 from a 404. The OpenAPI test checks no handler is routed around it.
 */
export interface GatewayRoute {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly path: string;
  /** undefined: no API key needed. */
  readonly scope?: Scope;
}

export const ENDPOINTS_PATH = '/v1/webhooks/endpoints';
const ONE = `${ENDPOINTS_PATH}/{id}`;

export const ROUTES = {
  registerEndpoint: { method: 'POST', path: ENDPOINTS_PATH, scope: 'endpoints:write' },
  listEndpoints: { method: 'GET', path: ENDPOINTS_PATH, scope: 'endpoints:read' },
  getEndpoint: { method: 'GET', path: ONE, scope: 'endpoints:read' },
  deleteEndpoint: { method: 'DELETE', path: ONE, scope: 'endpoints:write' },
  rotateSecret: { method: 'POST', path: `${ONE}/secret/rotate`, scope: 'secrets:rotate' },
  revokePrevious: {
    method: 'POST',
    path: `${ONE}/secret/revoke-previous`,
    scope: 'secrets:rotate',
  },
  createSignature: { method: 'POST', path: `${ONE}/signatures`, scope: 'signatures:create' },
  history: { method: 'GET', path: `${ONE}/events`, scope: 'audit:read' },
  // Public on purpose: receivers hold no API key (README: public key discovery).
  publicKeys: { method: 'GET', path: `${ONE}/public-keys` },
  health: { method: 'GET', path: '/health' },
  metrics: { method: 'GET', path: '/metrics' },
  openapi: { method: 'GET', path: '/openapi.json' },
  docs: { method: 'GET', path: '/docs' },
} as const satisfies Record<string, GatewayRoute>;

export const GATEWAY_ROUTES: readonly GatewayRoute[] = Object.values(ROUTES);

const compiled = GATEWAY_ROUTES.map((route) => ({
  route,
  pattern: new RegExp(`^${route.path.replace(/\{[^}]+\}/g, '[^/]+')}/?$`),
}));

/** The routes whose path matches (any method): empty for an unknown path. */
export const routesAt = (path: string): GatewayRoute[] =>
  compiled.filter((c) => c.pattern.test(path)).map((c) => c.route);

/** The route template of a request, for labels: `unmatched` when none. */
export const routeLabel = (method: string, path: string): string => {
  const candidates = routesAt(path);
  const verb = method === 'HEAD' ? 'GET' : method;
  return (candidates.find((r) => r.method === verb) ?? candidates[0])?.path ?? 'unmatched';
};

export const HEADERS = {
  requestId: 'X-Request-Id',
  idempotencyKey: 'Idempotency-Key',
  idempotencyReplayed: 'Idempotency-Replayed',
  retryAfter: 'Retry-After',
  wwwAuthenticate: 'WWW-Authenticate',
} as const;

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
