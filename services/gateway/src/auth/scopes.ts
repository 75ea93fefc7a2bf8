import { SetMetadata, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Scope } from '@rotor/access';
import type { Caller, GatewayRequest } from '../http/gateway-request';
import { idempotencyKeyOf, markReplayed } from '../idempotency/idempotency-key';

export const REQUIRED_SCOPE = 'rotor:required-scope';

/** The scope a route needs (DESIGN §5). A guarded route without one is refused. */
export const RequireScope = (scope: Scope) => SetMetadata(REQUIRED_SCOPE, scope);

/** What a handler knows about its request: who calls, and how to name the request. */
export interface RequestContext extends Caller {
  readonly requestId: string;
  /** The POST's Idempotency-Key, sent on as `meta.idempotencyKey`. */
  readonly idempotencyKey?: string;
  /** Call when the services answered with an earlier execution's reply (`replayed`). */
  readonly markReplayed?: () => void;
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
  const idempotencyKey = idempotencyKeyOf(request);
  const response = context
    .switchToHttp()
    .getResponse<{ setHeader(name: string, value: string): void }>();
  return {
    ...request.caller,
    requestId: request.requestId,
    ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
    markReplayed: () => markReplayed(response),
  };
});
