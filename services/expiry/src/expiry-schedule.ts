import type { EndpointView } from '@rotor/projections';

/** What the scheduler sends for a key when it is due. */
export type DueKind = 'expire' | 'rotate' | 'mark-due';

export interface DueExpiry {
  readonly kind: DueKind;
  readonly endpointId: string;
  readonly keyId: string;
  /**
   * Epoch ms: when to send the command. Not another name for a key's `expiresAt`: only an
   * `expire` is due then; a `rotate` or `mark-due` is due at the policy's `rotationDueAt` (a
   * rotation after an open overlap's end). The scheduler's idea is "when to act".
   */
  readonly dueAt: number;
}

/**
 * The expiries an endpoint view asks for: every previous key whose grace period has not
 * been closed by an event yet. Pure, so the schedule can be rebuilt from the views alone.
 */
export const dueExpiries = (view: EndpointView | undefined): DueExpiry[] =>
  !view || view.status !== 'active'
    ? []
    : view.keys
        .filter((k) => k.status === 'previous' && k.expiresAt !== undefined)
        .map((k) => ({
          kind: 'expire',
          endpointId: view.id,
          keyId: k.keyId,
          dueAt: Date.parse(k.expiresAt!),
        }));

/**
 * The scheduled rotation an endpoint view asks for: its current key's, when it has a
 * rotation policy and signs with Ed25519. An HMAC endpoint's due date is only shown
 * (`rotationDueAt`): a person must carry a new secret over, so nothing rotates it. While an
 * overlap opened by hand is still open, the rotation waits for its end (a scheduled
 * rotation never forces), instead of being refused (409) and retried until then.
 */
export const dueRotations = (view: EndpointView | undefined): DueExpiry[] => {
  const current = view?.status === 'active' ? view.keys[0] : undefined;
  if (!view || current?.status !== 'current' || current.rotationDueAt === undefined) return [];
  // HMAC: a person must carry a new secret over, so the scheduler only marks it due, once.
  if (current.signing !== 'ed25519')
    return current.rotationDue
      ? []
      : [
          {
            kind: 'mark-due',
            endpointId: view.id,
            keyId: current.keyId,
            dueAt: Date.parse(current.rotationDueAt),
          },
        ];
  const overlapEnds = view.keys
    .filter((k) => k.status === 'previous' && k.expiresAt !== undefined)
    .map((k) => Date.parse(k.expiresAt!));
  return [
    {
      kind: 'rotate',
      endpointId: view.id,
      keyId: current.keyId,
      dueAt: Math.max(Date.parse(current.rotationDueAt), ...overlapEnds),
    },
  ];
};

/** Everything the scheduler keeps a timer for (a key is never both current and previous). */
export const dueCommands = (view: EndpointView | undefined): DueExpiry[] => [
  ...dueExpiries(view),
  ...dueRotations(view),
];
