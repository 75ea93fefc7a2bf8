import { Controller, Headers, Param, Req, Res, UseGuards } from '@nestjs/common';
import { ENDPOINT_ID_PATTERN } from '@rotor/domain';
import { ApiHeader, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { SUBJECTS } from '@rotor/contracts';
import type { Response } from 'express';
import { createHash } from 'node:crypto';
import { AddressRateLimitGuard } from '../auth/address-rate-limit.guard';
import { ROUTES } from '../gateway.constants';
import { ApiProblems, ApiSuccess } from '../http/openapi.decorators';
import { EndpointIdPipe } from '../http/validation';
import { Route } from '../route.decorator';
import { RotorServices } from '../rpc/rotor-services';
import type { GatewayRequest } from '../http/gateway-request';
import { publicKeyListResource } from './endpoint.mapper';
import { PublicKeyListResource } from './endpoint.resources';

/** A strong validator of the list's content: the same keys, statuses and times, same tag. */
export const etagOf = (body: unknown): string =>
  `"${createHash('sha256').update(JSON.stringify(body)).digest('base64url').slice(0, 27)}"`;

/** RFC 9110: `*`, or one of a comma-separated list of (possibly weak) tags, matches. */
const matches = (ifNoneMatch: string | undefined, etag: string): boolean =>
  ifNoneMatch !== undefined &&
  ifNoneMatch.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t === etag || t === `W/${etag}`;
  });

/**
 * Public key discovery for receivers of Ed25519 endpoints. No API key: receivers hold
 * none, and public keys are public. The endpoint id (128 random bits) is all it takes, and
 * an unknown, deleted or HMAC-only endpoint answers the same 404, so nothing about other
 * endpoints can be learnt or enumerated; the route is rate-limited per client address.
 */
@ApiTags('public keys')
@Controller()
@UseGuards(AddressRateLimitGuard)
export class PublicKeysController {
  constructor(private readonly services: RotorServices) {}

  @Route(ROUTES.publicKeys)
  @ApiOperation({
    summary: "An Ed25519 endpoint's public keys, for receivers (no API key)",
    description:
      'The whpk_ keys that verify `v1a` signatures, newest first: the current key, the ' +
      'previous one during a grace period, and a key that stopped signing less than 300 s ' +
      'ago. Cache it for `Cache-Control: max-age` (at most 60 s) and revalidate with ' +
      '`If-None-Match`; on a signature that no cached key verifies, fetch again once.',
    security: [],
  })
  @ApiParam({
    name: 'id',
    description: 'Endpoint id: we_ + 32 lowercase hex.',
    schema: { type: 'string', pattern: ENDPOINT_ID_PATTERN.source },
  })
  @ApiHeader({ name: 'If-None-Match', required: false, schema: { type: 'string' } })
  @ApiSuccess(200, 'The public keys (with Cache-Control and ETag).', PublicKeyListResource)
  @ApiResponse({ status: 304, description: 'Not modified: the cached list (same ETag) holds.' })
  @ApiProblems(404, 422, 429, 500, 503)
  async publicKeys(
    @Param('id', EndpointIdPipe) id: string,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Req() request: GatewayRequest,
    @Res({ passthrough: true }) response: Response,
  ): Promise<PublicKeyListResource | undefined> {
    const reply = await this.services.call(
      SUBJECTS.query.getPublicKeys,
      { endpointId: id },
      request.requestId!,
    );
    const body = publicKeyListResource(reply);
    const etag = etagOf(body);
    response.setHeader('ETag', etag);
    response.setHeader('Cache-Control', `public, max-age=${reply.maxAgeSeconds}`);
    if (matches(ifNoneMatch, etag)) {
      response.status(304);
      return undefined;
    }
    return body;
  }
}
