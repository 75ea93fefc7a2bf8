import { ENDPOINT_ID_PATTERN } from '@rotor/domain';
import {
  Body,
  Controller,
  HttpCode,
  Inject,
  Param,
  Query,
  UseGuards,
  UseInterceptors,
  UsePipes,
} from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { SUBJECTS } from '@rotor/contracts';
import { CLOCK, type Clock } from '@rotor/runtime';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { RateLimitGuard } from '../auth/rate-limit.guard';
import { Ctx, type RequestContext } from '../auth/scopes';
import { ROUTES } from '../gateway.constants';
import { GatewayMetrics } from '../ops/gateway-metrics';
import { Route } from '../route.decorator';
import { RotorServices } from '../rpc/rotor-services';
import { IdempotencyKeyInterceptor } from '../idempotency/idempotency-key';
import {
  ApiIdempotencyKey,
  ApiProblems,
  ApiSuccess,
  AUTHENTICATED_PROBLEMS,
  BODY_PROBLEMS,
} from '../http/openapi.decorators';
import { EndpointIdPipe, gatewayValidationPipe } from '../http/validation';
import {
  CreateSignatureBody,
  EmptyBody,
  ListEndpointsQuery,
  RegisterEndpointBody,
  RotateSecretBody,
} from './endpoint.requests';
import {
  CreatedEndpointResource,
  EndpointListResource,
  EndpointResource,
  HistoryResource,
  RotationResource,
  SignatureResource,
} from './endpoint.resources';
import {
  createdEndpointResource,
  endpointListResource,
  endpointResource,
  historyResource,
  endpointCommand,
  endpointQuery,
  listEndpointsRequest,
  registerEndpointRequest,
  rotateSecretRequest,
  rotationResource,
  signatureResource,
  signRequest,
} from './endpoint.mapper';

const ID = ApiParam({
  name: 'id',
  description: 'Endpoint id: we_ + 32 lowercase hex.',
  schema: { type: 'string', pattern: ENDPOINT_ID_PATTERN.source },
});

/**
 * DESIGN §5, one handler per route of ROUTES: the request of its subject from the mapper,
 * one call (RotorServices), the reply in its REST shape from the mapper. Each request
 * carries the caller's tenant, so the services refuse another tenant's endpoint as missing.
 */
@ApiTags('endpoints')
@ApiBearerAuth()
@Controller()
@UseGuards(ApiKeyGuard, RateLimitGuard)
@UseInterceptors(IdempotencyKeyInterceptor)
@UsePipes(gatewayValidationPipe())
export class EndpointsController {
  constructor(
    private readonly rotor: RotorServices,
    private readonly metrics: GatewayMetrics,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Route(ROUTES.registerEndpoint)
  @HttpCode(201)
  @ApiOperation({ summary: 'Register an endpoint; its first secret is shown once' })
  @ApiIdempotencyKey()
  @ApiSuccess(201, 'Registered.', CreatedEndpointResource)
  // 404: the replay (same Idempotency-Key) of a registration whose endpoint was deleted since.
  @ApiProblems(...AUTHENTICATED_PROBLEMS, ...BODY_PROBLEMS, 404, 409)
  async register(@Ctx() ctx: RequestContext, @Body() body: RegisterEndpointBody) {
    const request = registerEndpointRequest(ctx, body);
    const reply = await this.rotor.call(SUBJECTS.command.registerEndpoint, request, ctx.requestId);
    if (reply.replayed) ctx.markReplayed?.();
    return createdEndpointResource(reply);
  }

  @Route(ROUTES.listEndpoints)
  @ApiOperation({ summary: "List the tenant's endpoints, newest first" })
  @ApiSuccess(200, 'A page of endpoints.', EndpointListResource)
  @ApiProblems(...AUTHENTICATED_PROBLEMS, 422)
  async list(@Ctx() ctx: RequestContext, @Query() query: ListEndpointsQuery) {
    const request = listEndpointsRequest(ctx, query);
    return endpointListResource(
      await this.rotor.call(SUBJECTS.query.listEndpoints, request, ctx.requestId),
    );
  }

  @Route(ROUTES.getEndpoint)
  @ApiOperation({ summary: 'An endpoint and its keys (never a secret)' })
  @ID
  @ApiSuccess(200, 'The endpoint.', EndpointResource)
  @ApiProblems(...AUTHENTICATED_PROBLEMS, 404, 422)
  async get(@Ctx() ctx: RequestContext, @Param('id', EndpointIdPipe) id: string) {
    return endpointResource(await this.view(ctx, id));
  }

  @Route(ROUTES.deleteEndpoint)
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete an endpoint; its secrets are crypto-shredded' })
  @ID
  @ApiSuccess(204, 'Deleted.')
  @ApiProblems(...AUTHENTICATED_PROBLEMS, 404, 409, 422)
  async delete(@Ctx() ctx: RequestContext, @Param('id', EndpointIdPipe) id: string): Promise<void> {
    const request = endpointCommand(ctx, id);
    await this.rotor.call(SUBJECTS.command.deleteEndpoint, request, ctx.requestId);
  }

  @Route(ROUTES.rotateSecret)
  @HttpCode(200)
  @ApiOperation({
    summary: 'Rotate the secret; the current one keeps signing for expire_current_in seconds',
  })
  @ID
  @ApiIdempotencyKey()
  @ApiBody({ type: RotateSecretBody, required: false })
  @ApiSuccess(200, 'Rotated; the new secret is shown once.', RotationResource)
  @ApiProblems(...AUTHENTICATED_PROBLEMS, ...BODY_PROBLEMS, 404, 409)
  async rotate(
    @Ctx() ctx: RequestContext,
    @Param('id', EndpointIdPipe) id: string,
    @Body() body: RotateSecretBody,
  ) {
    const request = rotateSecretRequest(ctx, id, body);
    const reply = await this.rotor.call(SUBJECTS.command.rotateSecret, request, ctx.requestId);
    if (reply.replayed) ctx.markReplayed?.();
    else this.metrics.rotations.inc({ forced: String(body.force === true) });
    return rotationResource(reply);
  }

  @Route(ROUTES.revokePrevious)
  @HttpCode(200)
  @ApiOperation({ summary: 'End the overlap now: the previous secret stops signing' })
  @ID
  @ApiIdempotencyKey()
  @ApiBody({ type: EmptyBody, required: false, description: 'No fields: send nothing, or {}.' })
  @ApiSuccess(200, 'The endpoint after the revocation.', EndpointResource)
  @ApiProblems(...AUTHENTICATED_PROBLEMS, ...BODY_PROBLEMS, 404, 409)
  async revokePrevious(
    @Ctx() ctx: RequestContext,
    @Param('id', EndpointIdPipe) id: string,
    @Body() _body: EmptyBody,
  ) {
    const request = endpointCommand(ctx, id);
    const reply = await this.rotor.call(
      SUBJECTS.command.revokePreviousSecret,
      request,
      ctx.requestId,
    );
    if (reply.replayed) ctx.markReplayed?.();
    return endpointResource(reply.endpoint);
  }

  @Route(ROUTES.createSignature)
  @HttpCode(200)
  @ApiOperation({
    summary: 'The Standard Webhooks headers the signer would send with this payload',
  })
  @ID
  @ApiIdempotencyKey(true)
  @ApiSuccess(200, 'The signature headers.', SignatureResource)
  @ApiProblems(...AUTHENTICATED_PROBLEMS, ...BODY_PROBLEMS, 404, 409)
  async sign(
    @Ctx() ctx: RequestContext,
    @Param('id', EndpointIdPipe) id: string,
    @Body() body: CreateSignatureBody,
  ) {
    // The signer answers 404 for another tenant's endpoint, as any other route does.
    const stopTimer = this.metrics.signingLatency.startTimer();
    try {
      const request = signRequest(ctx, id, body, this.clock());
      return signatureResource(await this.rotor.call(SUBJECTS.signer.sign, request, ctx.requestId));
    } finally {
      stopTimer();
    }
  }

  @Route(ROUTES.history)
  @ApiOperation({ summary: "The endpoint's audit history, oldest first, redacted" })
  @ID
  @ApiSuccess(200, 'The history.', HistoryResource)
  @ApiProblems(...AUTHENTICATED_PROBLEMS, 404, 422)
  async history(@Ctx() ctx: RequestContext, @Param('id', EndpointIdPipe) id: string) {
    const request = endpointQuery(ctx, id);
    return historyResource(
      await this.rotor.call(SUBJECTS.query.getHistory, request, ctx.requestId),
    );
  }

  /** The endpoint as the caller's tenant sees it: 404 when it is another tenant's. */
  private view(ctx: RequestContext, endpointId: string) {
    const request = endpointQuery(ctx, endpointId);
    return this.rotor.call(SUBJECTS.query.getEndpoint, request, ctx.requestId);
  }
}
