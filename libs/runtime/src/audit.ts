import { Logger } from '@nestjs/common';
import type { RotorConfig } from '@rotor/config';
import { auditPolicyOf, type KekRing } from '@rotor/crypto';
import {
  GuardedEventStore,
  readAnchors,
  type AuditVerifier,
  type EventStore,
  type StreamHead,
} from '@rotor/event-store';

/**
 * The store every service of this process uses: verified on read when a policy exists
 * (guarded-event-store.ts), with one error line per refused event. The heads of the last
 * anchor, when this process can read the anchor file, let it refuse streams cut short too.
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
  return new GuardedEventStore(
    store,
    policy,
    (refused) => logger.error(`audit: ${refused.message}; the event is not acted on`),
    anchoredHeadsOf(config.audit.anchorFile, policy.verifier, logger),
  );
};

/** The last anchor's heads, checked against its signature; empty when there is none. */
const anchoredHeadsOf = (
  anchorFile: string,
  verifier: AuditVerifier,
  logger: Logger,
): ReadonlyMap<string, StreamHead> => {
  let anchors: ReturnType<typeof readAnchors>;
  try {
    anchors = readAnchors(anchorFile, verifier);
  } catch (error) {
    logger.error(`audit: cannot read the anchor file ${anchorFile}: ${(error as Error).message}`);
    return new Map();
  }
  if (anchors.kind === 'broken') {
    logger.error(
      `audit: the anchor file ${anchorFile} is broken at line ${anchors.line} ` +
        `(${anchors.message}): streams are not checked against it (run audit verify)`,
    );
    return new Map();
  }
  return anchors.kind === 'ok' ? (anchors.heads ?? new Map()) : new Map();
};
