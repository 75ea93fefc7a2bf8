import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { RotorConfig } from '@rotor/config';
import { ROTOR_CONFIG } from '@rotor/runtime';
import type { Response } from 'express';
import { ProblemException } from '../http/problem';
import { clientAddress } from './auth-failure-limiter';
import { TokenBuckets } from './token-bucket';

/**
 * The rate limit of a route without an API key: per client address, at the API keys' rate.
 * Behind a proxy, set Express's trust proxy so the address is the client's.
 */
@Injectable()
export class AddressRateLimitGuard implements CanActivate {
  readonly buckets: TokenBuckets;

  constructor(@Inject(ROTOR_CONFIG) config: RotorConfig) {
    this.buckets = new TokenBuckets(config.rateLimit);
  }

  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    const result = this.buckets.take(clientAddress(http.getRequest<{ ip?: string }>()));
    if (result.allowed) {
      http.getResponse<Response>().setHeader('RateLimit-Remaining', String(result.remaining));
      return true;
    }
    throw new ProblemException({
      status: 429,
      code: 'rate_limited',
      detail: `too many requests from this address; retry in ${result.retryAfterSeconds} s`,
      headers: { 'Retry-After': String(result.retryAfterSeconds) },
    });
  }
}
