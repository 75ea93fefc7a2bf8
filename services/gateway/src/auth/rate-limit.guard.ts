import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { RotorConfig } from '@rotor/config';
import { ROTOR_CONFIG } from '@rotor/runtime';
import type { Response } from 'express';
import { ProblemException } from '../http/problem';
import type { GatewayRequest } from '../http/gateway-request';
import { TokenBuckets } from './token-bucket';

/**
 * Takes one token of `key`'s bucket: on success tells the client what is left
 * (`RateLimit-Remaining`), otherwise answers 429 with `Retry-After`. For both guards.
 */
export const takeToken = (
  buckets: TokenBuckets,
  key: string,
  context: ExecutionContext,
  forWhom: string,
): true => {
  const result = buckets.take(key);
  if (result.allowed) {
    context
      .switchToHttp()
      .getResponse<Response>()
      .setHeader('RateLimit-Remaining', String(result.remaining));
    return true;
  }
  throw new ProblemException({
    status: 429,
    code: 'rate_limited',
    detail: `too many requests ${forWhom}; retry in ${result.retryAfterSeconds} s`,
    headers: { 'Retry-After': String(result.retryAfterSeconds) },
  });
};

/** Per API key, after authentication (so unknown keys cannot drain anyone's bucket). */
@Injectable()
export class RateLimitGuard implements CanActivate {
  readonly buckets: TokenBuckets;

  constructor(@Inject(ROTOR_CONFIG) config: RotorConfig) {
    this.buckets = new TokenBuckets(config.rateLimit);
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<GatewayRequest>();
    const caller = request.caller;
    if (!caller) throw new Error('RateLimitGuard must run after ApiKeyGuard');
    return takeToken(this.buckets, caller.apiKeyId, context, 'for this API key');
  }
}
