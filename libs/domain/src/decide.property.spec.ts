import fc from 'fast-check';
import { ENDPOINT, T0, TENANT, key } from '../test/given-when-then';
import type { EndpointCommand } from './commands';
import { decide, isStillValid } from './decide';
import { isDomainError } from './errors';
import type { EndpointEvent } from './events';
import { evolve, fold, initialState, type EndpointState } from './state';

/**
 * Random command sequences against the decider: whatever a caller sends, in whatever
 * order, the invariants of DESIGN §1 hold after every step, and the state is always the
 * fold of the events produced so far (the stream is the truth).
 */
type Step =
  | { kind: 'register' | 'revoke' | 'delete'; advance: number }
  | { kind: 'rotate'; advance: number; grace: number; force: boolean }
  | { kind: 'expire'; advance: number; pickPrevious: boolean };

const advance = fc.integer({ min: 0, max: 200 });
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('register' as const, 'revoke' as const, 'delete' as const),
    advance,
  }),
  {
    arbitrary: fc.record({
      kind: fc.constant('rotate' as const),
      advance,
      grace: fc.integer({ min: -5, max: 300 }),
      force: fc.boolean(),
    }),
    weight: 4,
  },
  fc.record({ kind: fc.constant('expire' as const), advance, pickPrevious: fc.boolean() }),
);

const toCommand = (s: Step, now: Date, n: number, state: EndpointState): EndpointCommand => {
  switch (s.kind) {
    case 'register':
      return {
        type: 'RegisterEndpoint',
        data: { endpointId: ENDPOINT, tenantId: TENANT, key: key(n, now) },
        now,
      };
    case 'rotate':
      return {
        type: 'RotateSecret',
        data: { endpointId: ENDPOINT, key: key(n, now), expireCurrentIn: s.grace, force: s.force },
        now,
      };
    case 'revoke':
      return { type: 'RevokePreviousSecret', data: { endpointId: ENDPOINT }, now };
    case 'delete':
      return { type: 'DeleteEndpoint', data: { endpointId: ENDPOINT }, now };
    case 'expire': {
      const keyId =
        s.pickPrevious && state.status === 'active' && state.previous
          ? state.previous.keyId
          : key(n).keyId;
      return { type: 'ExpirePreviousSecret', data: { endpointId: ENDPOINT, keyId }, now };
    }
  }
};

const validKeyCount = (state: EndpointState, now: Date) =>
  state.status !== 'active'
    ? 0
    : 1 + (state.previous && isStillValid(state.previous.expiresAt, now) ? 1 : 0);

describe('the decider under random command sequences', () => {
  it('keeps at most two valid keys, never reuses a key id, and its state is the fold of its events', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 60 }), (steps) => {
        let state = initialState();
        let nowMs = T0.getTime();
        const stream: EndpointEvent[] = [];
        steps.forEach((s, index) => {
          nowMs += s.advance * 1000;
          const now = new Date(nowMs);
          const result = decide(toCommand(s, now, index + 1, state), state);
          if (isDomainError(result)) return;
          stream.push(...result);
          state = result.reduce(evolve, state);

          expect(validKeyCount(state, now)).toBeLessThanOrEqual(2);
          expect(fold(stream)).toEqual(state);
        });
        const keyIds = stream.flatMap((e) =>
          e.type === 'EndpointRegistered' || e.type === 'SecretRotated' ? [e.data.key.keyId] : [],
        );
        expect(new Set(keyIds).size).toBe(keyIds.length);
        // Each key expires at most once, and only a key that was current before.
        const expiredIds = stream.flatMap((e) =>
          e.type === 'PreviousSecretExpired' ? [e.data.keyId] : [],
        );
        expect(new Set(expiredIds).size).toBe(expiredIds.length);
        expiredIds.forEach((id) => expect(keyIds).toContain(id));
        // Nothing follows a deletion.
        const deletedAt = stream.findIndex((e) => e.type === 'EndpointDeleted');
        if (deletedAt >= 0) expect(stream.length).toBe(deletedAt + 1);
      }),
      { numRuns: 500 },
    );
  });

  it('is deterministic: the same command on the same state gives the same decision', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 20 }), step, (history, last) => {
        let state = initialState();
        let nowMs = T0.getTime();
        history.forEach((s, i) => {
          nowMs += s.advance * 1000;
          const r = decide(toCommand(s, new Date(nowMs), i + 1, state), state);
          if (!isDomainError(r)) state = r.reduce(evolve, state);
        });
        const command = toCommand(last, new Date(nowMs + last.advance * 1000), 999, state);
        expect(decide(command, state)).toEqual(decide(command, state));
      }),
      { numRuns: 200 },
    );
  });
});
