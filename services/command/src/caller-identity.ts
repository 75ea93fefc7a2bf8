import { RpcException } from '@nestjs/microservices';
import { actingIdentity, type CommandVerb } from '@rotor/access';
import { errorReply, type RequestMeta } from '@rotor/contracts';
import { callerOf } from '@rotor/messaging';

/**
 * The authenticated caller of a command: the last token of the subject it was published on,
 * which nats.conf lets only that user publish (`all-in-one` on the in-process bus).
 */
export const callerOfRequest = (context: unknown): string => callerOf(context);

/**
 * The command as the caller may send it: `meta.actor` replaced by who really acts, refused
 * (403 caller_not_allowed, 422 tenant_required / invalid_actor) before anything is loaded.
 */
export function actingAs<R extends { readonly meta: RequestMeta; readonly tenantId?: string }>(
  caller: string,
  command: CommandVerb,
  request: R,
): R {
  const identity = actingIdentity(caller, {
    command,
    claimedActor: request.meta.actor,
    tenantId: request.tenantId,
  });
  if (identity.kind === 'refused')
    throw new RpcException(
      errorReply(identity.code, identity.message, identity.status, {
        ...(identity.param === undefined ? {} : { param: identity.param }),
      }),
    );
  return { ...request, meta: { ...request.meta, actor: identity.actor } };
}
