import { RpcException } from '@nestjs/microservices';
import { actingIdentity, IN_PROCESS_CALLER, type CommandVerb } from '@rotor/access';
import { errorReply, type RequestMeta } from '@rotor/contracts';

/**
 * The authenticated caller of a command: the last token of the subject it was published on,
 * which nats.conf lets only that user publish. Nest's NATS envelope carries no caller, so
 * until the caller-suffixed transport (`wire`) is merged every request is taken as the
 * in-process bus takes it (its claims kept, its tenant still required). Then this body
 * becomes `return callerOf(context);` (@rotor/messaging) and nothing else changes.
 */
export const callerOfRequest = (context: unknown): string => {
  void context;
  return IN_PROCESS_CALLER;
};

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
