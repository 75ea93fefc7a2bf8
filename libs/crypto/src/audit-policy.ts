import { createAuditVerifier, parseAuditPublicKeys, type AuditPolicy } from '@rotor/event-store';
import type { KekRing } from './kek-ring';

/**
 * What a process verifies the audit trail with (DESIGN §6): the public half of its ring's
 * audit key if it holds one, and ROTOR_AUDIT_PUBLIC_KEY (the only source for processes that
 * hold no KEK ring). undefined: nothing to verify with. The one home of this rule, for the
 * services (libs/runtime) and the CLI alike.
 */
export const auditPolicyOf = (
  settings: { readonly publicKeys?: string; readonly legacyUntil?: string },
  kekRing: Pick<KekRing, 'audit' | 'auditLegacyUntil'> | undefined,
): AuditPolicy | undefined => {
  const keys = [
    ...(kekRing?.audit ? [kekRing.audit.publicKey] : []),
    ...(settings.publicKeys ? parseAuditPublicKeys(settings.publicKeys) : []),
  ];
  if (keys.length === 0) return undefined;
  const legacyUntil = settings.legacyUntil ?? kekRing?.auditLegacyUntil;
  return {
    verifier: createAuditVerifier([...new Set(keys)]),
    ...(legacyUntil === undefined ? {} : { legacyUntil }),
  };
};
