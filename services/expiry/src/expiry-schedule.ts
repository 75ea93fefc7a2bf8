import type { EndpointView } from '@rotor/projections';

export interface DueExpiry {
  readonly endpointId: string;
  readonly keyId: string;
  /** Epoch ms. */
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
        .map((k) => ({ endpointId: view.id, keyId: k.keyId, dueAt: Date.parse(k.expiresAt!) }));
