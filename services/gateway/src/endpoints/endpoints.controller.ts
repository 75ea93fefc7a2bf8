import { ENDPOINT_ID_PATTERN } from '@rotor/domain';
import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Post,
  Query,
  UseGuards,
  UseInterceptors,
  UsePipes,
} from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { RateLimitGuard } from '../auth/rate-limit.guard';
import { Ctx, RequireScope, type RequestContext } from '../auth/scopes';
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
import { EndpointsService } from './endpoints.service';

const ID = ApiParam({
  name: 'id',
  description: 'Endpoint id: we_ + 32 lowercase hex.',
  schema: { type: 'string', pattern: ENDPOINT_ID_PATTERN.source },
});

/** DESIGN §5, one handler per route; each delegates to `EndpointsService`. */
@ApiTags('endpoints')
@ApiBearerAuth()
@Controller('v1/webhooks/endpoints')
@UseGuards(ApiKeyGuard, RateLimitGuard)
@UseInterceptors(IdempotencyKeyInterceptor)
@UsePipes(gatewayValidationPipe())
export class EndpointsController {
  constructor(private readonly endpoints: EndpointsService) {}

  @Post()
  @HttpCode(201)
  @RequireScope('endpoints:write')
  @ApiOperation({ summary: 'Register an endpoint; its first secret is shown once' })
  @ApiIdempotencyKey()
  @ApiSuccess(201, 'Registered.', CreatedEndpointResource)
  // 404: the replay (same Idempotency-Key) of a registration whose endpoint was deleted since.
  @ApiProblems(...AUTHENTICATED_PROBLEMS, ...BODY_PROBLEMS, 404, 409)
  register(@Ctx() ctx: RequestContext, @Body() body: RegisterEndpointBody) {
    return this.endpoints.register(ctx, body);
  }

  @Get()
  @RequireScope('endpoints:read')
  @ApiOperation({ summary: "List the tenant's endpoints, newest first" })
  @ApiSuccess(200, 'A page of endpoints.', EndpointListResource)
  @ApiProblems(...AUTHENTICATED_PROBLEMS, 422)
  list(@Ctx() ctx: RequestContext, @Query() query: ListEndpointsQuery) {
    return this.endpoints.list(ctx, query);
  }

  @Get(':id')
  @RequireScope('endpoints:read')
  @ApiOperation({ summary: 'An endpoint and its keys (never a secret)' })
  @ID
  @ApiSuccess(200, 'The endpoint.', EndpointResource)
  @ApiProblems(...AUTHENTICATED_PROBLEMS, 404, 422)
  get(@Ctx() ctx: RequestContext, @Param('id', EndpointIdPipe) id: string) {
    return this.endpoints.get(ctx, id);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireScope('endpoints:write')
  @ApiOperation({ summary: 'Delete an endpoint; its secrets are crypto-shredded' })
  @ID
  @ApiSuccess(204, 'Deleted.')
  @ApiProblems(...AUTHENTICATED_PROBLEMS, 404, 409, 422)
  async delete(@Ctx() ctx: RequestContext, @Param('id', EndpointIdPipe) id: string): Promise<void> {
    await this.endpoints.delete(ctx, id);
  }

  @Post(':id/secret/rotate')
  @HttpCode(200)
  @RequireScope('secrets:rotate')
  @ApiOperation({
    summary: 'Rotate the secret; the current one keeps signing for expire_current_in seconds',
  })
  @ID
  @ApiIdempotencyKey()
  @ApiBody({ type: RotateSecretBody, required: false })
  @ApiSuccess(200, 'Rotated; the new secret is shown once.', RotationResource)
  @ApiProblems(...AUTHENTICATED_PROBLEMS, ...BODY_PROBLEMS, 404, 409)
  rotate(
    @Ctx() ctx: RequestContext,
    @Param('id', EndpointIdPipe) id: string,
    @Body() body: RotateSecretBody,
  ) {
    return this.endpoints.rotate(ctx, id, body);
  }

  @Post(':id/secret/revoke-previous')
  @HttpCode(200)
  @RequireScope('secrets:rotate')
  @ApiOperation({ summary: 'End the overlap now: the previous secret stops signing' })
  @ID
  @ApiIdempotencyKey()
  @ApiBody({ type: EmptyBody, required: false, description: 'No fields: send nothing, or {}.' })
  @ApiSuccess(200, 'The endpoint after the revocation.', EndpointResource)
  @ApiProblems(...AUTHENTICATED_PROBLEMS, ...BODY_PROBLEMS, 404, 409)
  revokePrevious(
    @Ctx() ctx: RequestContext,
    @Param('id', EndpointIdPipe) id: string,
    @Body() _body: EmptyBody,
  ) {
    return this.endpoints.revokePrevious(ctx, id);
  }

  @Post(':id/signatures')
  @HttpCode(200)
  @RequireScope('signatures:create')
  @ApiOperation({
    summary: 'The Standard Webhooks headers the signer would send with this payload',
  })
  @ID
  @ApiIdempotencyKey(true)
  @ApiSuccess(200, 'The signature headers.', SignatureResource)
  @ApiProblems(...AUTHENTICATED_PROBLEMS, ...BODY_PROBLEMS, 404, 409)
  sign(
    @Ctx() ctx: RequestContext,
    @Param('id', EndpointIdPipe) id: string,
    @Body() body: CreateSignatureBody,
  ) {
    return this.endpoints.sign(ctx, id, body);
  }

  @Get(':id/events')
  @RequireScope('audit:read')
  @ApiOperation({ summary: "The endpoint's audit history, oldest first, redacted" })
  @ID
  @ApiSuccess(200, 'The history.', HistoryResource)
  @ApiProblems(...AUTHENTICATED_PROBLEMS, 404, 422)
  history(@Ctx() ctx: RequestContext, @Param('id', EndpointIdPipe) id: string) {
    return this.endpoints.history(ctx, id);
  }
}
