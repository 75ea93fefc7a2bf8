import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { RotorConfig } from '@rotor/config';
import { ROTOR_CONFIG } from '@rotor/runtime';
import { clientAddress } from './auth-failure-limiter';
import { takeToken } from './rate-limit.guard';
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
    const address = clientAddress(context.switchToHttp().getRequest<{ ip?: string }>());
    return takeToken(this.buckets, address, context, 'from this address');
  }
}
