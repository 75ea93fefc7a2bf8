import { Inject, Injectable } from '@nestjs/common';
import type { RequestMeta } from '@rotor/contracts';
import { CLOCK, type Clock } from '@rotor/runtime';
import { randomBytes } from 'node:crypto';
import type { RequestContext } from '../auth/scopes';
import { GatewayMetrics } from '../ops/gateway-metrics';
import { RotorServices } from '../rpc/rotor-services';
import {
  createdEndpointResource,
  endpointListResource,
  endpointResource,
  historyResource,
  rotationResource,
  signatureResource,
} from './endpoint.mapper';
import type {
  CreateSignatureBody,
  ListEndpointsQuery,
  RegisterEndpointBody,
  RotateSecretBody,
} from './endpoint.requests';

/** Who sends the command: the API key is the actor, the request id follows it into events. */
const metaOf = (ctx: RequestContext): RequestMeta => ({
  actor: ctx.apiKeyId,
  requestId: ctx.requestId,
  ...(ctx.idempotencyKey === undefined ? {} : { idempotencyKey: ctx.idempotencyKey }),
});

export const newMsgId = (): string => `msg_${randomBytes(16).toString('hex')}`;

/**
 * REST to NATS and back: each method builds the request of one subject (always with the
 * caller's tenant, so the services refuse another tenant's endpoint as missing) and maps
 * the reply to its REST shape.
 */
@Injectable()
export class EndpointsService {
  constructor(
    private readonly services: RotorServices,
    private readonly metrics: GatewayMetrics,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async register(ctx: RequestContext, body: RegisterEndpointBody) {
    const reply = await this.services.registerEndpoint(
      {
        meta: metaOf(ctx),
        tenantId: ctx.tenantId,
        url: body.url,
        ...(body.description === undefined ? {} : { description: body.description }),
        ...(body.signing === undefined ? {} : { signing: body.signing }),
        ...(body.rotation_policy === undefined
          ? {}
          : {
              rotationPolicy: {
                everySeconds: body.rotation_policy.every_seconds,
                graceSeconds: body.rotation_policy.grace_seconds,
              },
            }),
        ...(body.secret === undefined ? {} : { secret: body.secret }),
        ...(body.external_id === undefined ? {} : { externalId: body.external_id }),
      },
      ctx.requestId,
    );
    if (reply.replayed) ctx.markReplayed?.();
    return createdEndpointResource(reply);
  }

  async list(ctx: RequestContext, query: ListEndpointsQuery) {
    const reply = await this.services.listEndpoints(
      {
        tenantId: ctx.tenantId,
        ...(query.limit === undefined ? {} : { limit: query.limit }),
        ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
        ...(query.external_id === undefined ? {} : { externalId: query.external_id }),
      },
      ctx.requestId,
    );
    return endpointListResource(reply);
  }

  async get(ctx: RequestContext, endpointId: string) {
    const view = await this.services.getEndpoint(
      { tenantId: ctx.tenantId, endpointId },
      ctx.requestId,
    );
    return endpointResource(view);
  }

  async rotate(ctx: RequestContext, endpointId: string, body: RotateSecretBody) {
    const reply = await this.services.rotateSecret(
      {
        meta: metaOf(ctx),
        tenantId: ctx.tenantId,
        endpointId,
        ...(body.expire_current_in === undefined
          ? {}
          : { expireCurrentIn: body.expire_current_in }),
        ...(body.force === undefined ? {} : { force: body.force }),
        ...(body.signing === undefined ? {} : { signing: body.signing }),
        ...(body.secret === undefined ? {} : { secret: body.secret }),
      },
      ctx.requestId,
    );
    if (reply.replayed) ctx.markReplayed?.();
    else this.metrics.rotations.inc({ forced: String(body.force === true) });
    return rotationResource(reply);
  }

  async revokePrevious(ctx: RequestContext, endpointId: string) {
    const reply = await this.services.revokePreviousSecret(
      { meta: metaOf(ctx), tenantId: ctx.tenantId, endpointId },
      ctx.requestId,
    );
    if (reply.replayed) ctx.markReplayed?.();
    return endpointResource(reply.endpoint);
  }

  /**
   * The signer knows no tenants: the query service vouches that the endpoint is the
   * caller's first (404 otherwise, as for any other route).
   */
  async sign(ctx: RequestContext, endpointId: string, body: CreateSignatureBody) {
    await this.services.getEndpoint({ tenantId: ctx.tenantId, endpointId }, ctx.requestId);
    const stopTimer = this.metrics.signingLatency.startTimer();
    try {
      const reply = await this.services.sign(
        {
          endpointId,
          msgId: body.msg_id ?? newMsgId(),
          timestamp: body.timestamp ?? Math.floor(this.clock().getTime() / 1000),
          payload: body.payload,
        },
        ctx.requestId,
      );
      return signatureResource(reply);
    } finally {
      stopTimer();
    }
  }

  async history(ctx: RequestContext, endpointId: string) {
    const reply = await this.services.getHistory(
      { tenantId: ctx.tenantId, endpointId },
      ctx.requestId,
    );
    return historyResource(reply);
  }

  async delete(ctx: RequestContext, endpointId: string): Promise<void> {
    await this.services.deleteEndpoint(
      { meta: metaOf(ctx), tenantId: ctx.tenantId, endpointId },
      ctx.requestId,
    );
  }
}
