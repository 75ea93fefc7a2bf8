import { CanActivate, ExecutionContext, Injectable, Optional } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Scope } from '@rotor/access';
import { ProblemException } from '../http/problem';
import type { GatewayRequest } from '../http/gateway-request';
import { ApiKeyIndex } from './api-key-index';
import { AuthFailureLimiter, clientAddress } from './auth-failure-limiter';
import { REQUIRED_SCOPE } from './scopes';

const REALM = 'realm="rotor"';

/** `Bearer <token>` (scheme case-insensitive, RFC 6750 §2.1); undefined otherwise. */
export const bearerToken = (header: string | undefined): string | undefined => {
  const match = /^Bearer +([^\s]+) *$/i.exec(header ?? '');
  return match?.[1];
};

export const unauthenticated = (): ProblemException =>
  new ProblemException({
    status: 401,
    code: 'unauthenticated',
    detail: 'send an API key: Authorization: Bearer rk_...',
    headers: { 'WWW-Authenticate': `Bearer ${REALM}` },
  });

export const invalidToken = (): ProblemException =>
  new ProblemException({
    status: 401,
    code: 'invalid_api_key',
    detail: 'the API key is unknown or revoked',
    headers: {
      'WWW-Authenticate': `Bearer ${REALM}, error="invalid_token", error_description="the API key is unknown or revoked"`,
    },
  });

export const insufficientScope = (scope: Scope): ProblemException =>
  new ProblemException({
    status: 403,
    code: 'insufficient_scope',
    detail: `this API key lacks the scope ${scope}`,
    extensions: { required_scope: scope },
    headers: {
      'WWW-Authenticate': `Bearer ${REALM}, error="insufficient_scope", scope="${scope}"`,
    },
  });

/**
 * Authenticates the API key and checks the route's scope. A request without a bearer token
 * gets the bare challenge; a token that is not a valid key gets `invalid_token`; a valid
 * key without the scope gets 403 naming it. The tenant is the key's, never the request's.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly keys: ApiKeyIndex,
    private readonly reflector: Reflector,
    @Optional() private readonly failures?: AuthFailureLimiter,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const scope = this.reflector.getAllAndOverride<Scope | undefined>(REQUIRED_SCOPE, [
      context.getHandler(),
      context.getClass(),
    ]);
    // Fail closed: a route someone forgot to scope is a bug, not an open door.
    if (!scope)
      throw new Error(`route ${context.getClass().name}.${context.getHandler().name} has no scope`);
    const request = context
      .switchToHttp()
      .getRequest<GatewayRequest & { headers: Record<string, unknown> }>();
    const header = request.headers.authorization;
    const token = bearerToken(typeof header === 'string' ? header : undefined);
    if (token === undefined) {
      this.failures?.failed(clientAddress(request as { ip?: string }));
      throw unauthenticated();
    }
    const key = this.keys.lookup(token);
    if (!key) {
      this.failures?.failed(clientAddress(request as { ip?: string }));
      throw invalidToken();
    }
    if (!key.scopes.includes(scope)) throw insufficientScope(scope);
    request.caller = { apiKeyId: key.id, tenantId: key.tenantId, scopes: key.scopes };
    return true;
  }
}
