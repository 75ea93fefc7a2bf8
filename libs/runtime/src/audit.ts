import { Logger } from '@nestjs/common';
import type { RotorConfig } from '@rotor/config';
import { auditPolicyOf, type KekRing } from '@rotor/crypto';
import { GuardedEventStore, type EventStore } from '@rotor/event-store';

/**
 * The store every service of this process uses: verified on read when a policy exists
 * (guarded-event-store.ts), with one error line per refused event.
 */
export const guardedStore = (
  store: EventStore,
  config: Pick<RotorConfig, 'audit'>,
  kekRing: Pick<KekRing, 'audit' | 'auditLegacyUntil'> | undefined,
): EventStore => {
  const logger = new Logger('Audit');
  const policy = auditPolicyOf(config.audit, kekRing);
  if (!policy) {
    logger.warn(
      'no audit key configured (KEK ring "audit" or ROTOR_AUDIT_PUBLIC_KEY): events are not ' +
        'verified before use, and anyone who can write the store can forge them (README: Audit)',
    );
    return store;
  }
  if (!kekRing?.audit)
    logger.warn('no audit signing key in the KEK ring: this process writes unsigned events');
  return new GuardedEventStore(store, policy, (refused) =>
    logger.error(`audit: ${refused.message}; the event is not acted on`),
  );
};
