import { SetMetadata, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Scope } from '@rotor/access';
import type { Caller, GatewayRequest } from '../http/gateway-request';
import { IDEMPOTENCY_KEY_PATTERN } from '../idempotency/idempotency-store';

export const REQUIRED_SCOPE = 'rotor:required-scope';

/** The scope a route needs (DESIGN §5). A guarded route without one is refused. */
export const RequireScope = (scope: Scope) => SetMetadata(REQUIRED_SCOPE, scope);

/** What a handler knows about its request: who calls, and how to name the request. */
export interface RequestContext extends Caller {
  readonly requestId: string;
  readonly idempotencyKey?: string;
}

/** The authenticated caller of a guarded route, with the request's ids. */
export const Ctx = createParamDecorator((_: unknown, context: ExecutionContext): RequestContext => {
  const request = context
    .switchToHttp()
    .getRequest<
      GatewayRequest & { method: string; headers: Record<string, string | string[] | undefined> }
    >();
  if (!request.caller || !request.requestId)
    throw new Error('Ctx used on a route without ApiKeyGuard');
  // Recorded in the events of POSTs only, where the idempotency interceptor checked it.
  const idempotencyKey = request.headers['idempotency-key'];
  const recorded =
    request.method === 'POST' &&
    typeof idempotencyKey === 'string' &&
    IDEMPOTENCY_KEY_PATTERN.test(idempotencyKey);
  return {
    ...request.caller,
    requestId: request.requestId,
    ...(recorded ? { idempotencyKey } : {}),
  };
});
