import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { generateApiKey, hashApiKey, type ApiKeyView, type Scope } from '@rotor/access';
import type { KvBucketFactory } from '@rotor/messaging';
import { ProblemException } from '../http/problem';
import type { GatewayRequest } from '../http/gateway-request';
import { ApiKeyIndex } from './api-key-index';
import { ApiKeyGuard, bearerToken } from './api-key.guard';
import { REQUIRED_SCOPE } from './scopes';

const contextFor = (request: object, scope: Scope | undefined): ExecutionContext => {
  const handler = () => undefined;
  if (scope) Reflect.defineMetadata(REQUIRED_SCOPE, scope, handler);
  class SomeController {}
  return {
    getHandler: () => handler,
    getClass: () => SomeController,
    switchToHttp: () => ({ getRequest: () => request }),
  } as unknown as ExecutionContext;
};

const problemOf = (run: () => unknown): ProblemException => {
  try {
    run();
  } catch (error) {
    if (error instanceof ProblemException) return error;
    throw error;
  }
  throw new Error('expected a problem');
};

describe('ApiKeyGuard', () => {
  const keys = new ApiKeyIndex({} as KvBucketFactory);
  const guard = new ApiKeyGuard(keys, new Reflector());
  const key = generateApiKey();
  const revokedKey = generateApiKey();
  const view = (plaintext: string, overrides: Partial<ApiKeyView> = {}): ApiKeyView => ({
    id: 'ak_0123456789abcdef',
    tenantId: 'acme',
    scopes: ['endpoints:read', 'secrets:rotate'],
    name: 'ci',
    hashedKey: hashApiKey(plaintext),
    revoked: false,
    ...overrides,
  });
  keys.apply({ key: hashApiKey(key), value: view(key) });
  keys.apply({ key: hashApiKey(revokedKey), value: view(revokedKey, { revoked: true }) });

  const run = (authorization: string | undefined, scope: Scope | null = 'endpoints:read') => {
    const request: GatewayRequest & { headers: Record<string, unknown> } = {
      headers: authorization === undefined ? {} : { authorization },
    };
    return { request, result: () => guard.canActivate(contextFor(request, scope ?? undefined)) };
  };

  it('given a valid key with the scope, lets the request through as its tenant', () => {
    const { request, result } = run(`Bearer ${key}`);
    expect(result()).toBe(true);
    expect(request.caller).toEqual({
      apiKeyId: 'ak_0123456789abcdef',
      tenantId: 'acme',
      scopes: ['endpoints:read', 'secrets:rotate'],
    });
  });

  it('accepts the scheme in any case (RFC 6750)', () => {
    expect(run(`bearer ${key}`).result()).toBe(true);
  });

  it.each([undefined, '', 'Basic dXNlcjpwYXNz', 'Bearer', 'Bearer ', `Bearer ${key} extra`])(
    'given no bearer token (%p), answers 401 with a bare Bearer challenge',
    (authorization) => {
      const problem = problemOf(run(authorization).result);
      expect(problem.problem).toMatchObject({ status: 401, code: 'unauthenticated' });
      expect(problem.problem.headers?.['WWW-Authenticate']).toBe('Bearer realm="rotor"');
    },
  );

  it.each([
    ['an unknown key', generateApiKey()],
    ['a revoked key', revokedKey],
    ['a malformed key', 'rk_short'],
    ['something else', 'abc.def.ghi'],
  ])('given %s, answers 401 invalid_token', (_what, token) => {
    const problem = problemOf(run(`Bearer ${token}`).result);
    expect(problem.problem).toMatchObject({ status: 401, code: 'invalid_api_key' });
    expect(problem.problem.headers?.['WWW-Authenticate']).toMatch(
      /^Bearer realm="rotor", error="invalid_token"/,
    );
  });

  it('given a key without the scope, answers 403 naming it', () => {
    const problem = problemOf(run(`Bearer ${key}`, 'audit:read').result);
    expect(problem.problem).toMatchObject({ status: 403, code: 'insufficient_scope' });
    expect(problem.problem.detail).toContain('audit:read');
    expect(problem.problem.extensions).toEqual({ required_scope: 'audit:read' });
  });

  it('fails closed on a route that declares no scope', () => {
    expect(run(`Bearer ${key}`, null).result).toThrow(/has no scope/);
  });

  it('forgets a key deleted from the bucket', () => {
    const other = generateApiKey();
    keys.apply({ key: hashApiKey(other), value: view(other) });
    expect(run(`Bearer ${other}`).result()).toBe(true);
    keys.apply({ key: hashApiKey(other), value: undefined });
    expect(problemOf(run(`Bearer ${other}`).result).problem.code).toBe('invalid_api_key');
  });
});

describe('bearerToken', () => {
  it('reads the token of a Bearer header only', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('BEARER   abc  ')).toBe('abc');
    expect(bearerToken('Token abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
