import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { RotorConfig } from '@rotor/config';
import { ROTOR_CONFIG } from '@rotor/runtime';
import type { Response } from 'express';
import { ProblemException } from '../http/problem';
import type { GatewayRequest } from '../http/gateway-request';
import { TokenBuckets } from './token-bucket';

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
    const result = this.buckets.take(caller.apiKeyId);
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
      detail: `too many requests for this API key; retry in ${result.retryAfterSeconds} s`,
      headers: { 'Retry-After': String(result.retryAfterSeconds) },
    });
  }
}
