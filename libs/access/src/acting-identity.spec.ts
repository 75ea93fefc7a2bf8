import { SUBJECTS } from '@rotor/contracts';
import {
  actingIdentity,
  EVERY_COMMAND,
  type CommandClaim,
  type CommandVerb,
} from './acting-identity';

const KEY_ID = 'ak_0123456789abcdef';
const claim = (command: CommandVerb, extra: Partial<CommandClaim> = {}): CommandClaim => ({
  command,
  claimedActor: KEY_ID,
  tenantId: 'acme',
  ...extra,
});
const SCHEDULER_COMMANDS: readonly CommandVerb[] = [
  'expire-previous-secret',
  'rotate-on-schedule',
  'mark-rotation-due',
];
const TENANT_COMMANDS = EVERY_COMMAND.filter((verb) => !SCHEDULER_COMMANDS.includes(verb));

describe('actingIdentity: who is recorded as acting, and on which tenant', () => {
  it('knows every command subject of the contracts', () => {
    expect([...EVERY_COMMAND].sort()).toEqual(
      Object.values(SUBJECTS.command)
        .map((subject) => subject.split('.').at(-1))
        .sort(),
    );
  });

  it.each(TENANT_COMMANDS)('given the gateway, records the API key it forwards (%s)', (verb) => {
    expect(actingIdentity('gateway', claim(verb))).toEqual({
      kind: 'allowed',
      actor: KEY_ID,
      tenantId: 'acme',
    });
  });

  it.each(['attacker', 'service:expiry', 'rotor-scheduler', '', 'ak_XYZ'])(
    'given the gateway claiming actor %j (not an API key id), refuses it',
    (claimedActor) => {
      expect(actingIdentity('gateway', claim('rotate-secret', { claimedActor }))).toMatchObject({
        kind: 'refused',
        code: 'invalid_actor',
        status: 422,
      });
    },
  );

  it.each(TENANT_COMMANDS)('given the gateway without a tenant, refuses %s', (verb) => {
    expect(actingIdentity('gateway', claim(verb, { tenantId: undefined }))).toMatchObject({
      kind: 'refused',
      code: 'tenant_required',
      param: 'tenantId',
    });
  });

  it('never lets the gateway end a grace period: only the scheduler does', () => {
    expect(actingIdentity('gateway', claim('expire-previous-secret'))).toMatchObject({
      kind: 'refused',
      code: 'caller_not_allowed',
      status: 403,
    });
  });

  it('records the scheduler as itself, whatever it claims, and allows it nothing else', () => {
    expect(
      actingIdentity(
        'expiry',
        claim('expire-previous-secret', { claimedActor: KEY_ID, tenantId: undefined }),
      ),
    ).toEqual({ kind: 'allowed', actor: 'service:expiry', tenantId: undefined });
    for (const verb of TENANT_COMMANDS)
      expect([verb, actingIdentity('expiry', claim(verb)).kind]).toEqual([verb, 'refused']);
  });

  it.each(['expiry', 'all-in-one', 'cli'])(
    'records a scheduled rotation sent by %s as rotor-scheduler, whatever it claims',
    (caller) => {
      expect(
        actingIdentity(
          caller,
          claim('rotate-on-schedule', { claimedActor: KEY_ID, tenantId: undefined }),
        ),
      ).toEqual({ kind: 'allowed', actor: 'rotor-scheduler', tenantId: undefined });
    },
  );

  it('never lets the gateway send a scheduled rotation', () => {
    expect(actingIdentity('gateway', claim('rotate-on-schedule'))).toMatchObject({
      kind: 'refused',
      code: 'caller_not_allowed',
    });
  });

  it.each(['signer', 'query', 'projector', 'command', 'anonymous', ''])(
    'refuses every command from %j, a caller that sends none',
    (caller) => {
      for (const verb of EVERY_COMMAND)
        expect(actingIdentity(caller, claim(verb))).toMatchObject({
          kind: 'refused',
          code: 'caller_not_allowed',
        });
    },
  );

  it('lets the operator CLI act across tenants, recorded as itself', () => {
    for (const verb of EVERY_COMMAND.filter(
      (v) => v !== 'rotate-on-schedule' && v !== 'mark-rotation-due',
    ))
      expect(
        actingIdentity('cli', claim(verb, { tenantId: undefined, claimedActor: 'attacker' })),
      ).toEqual({ kind: 'allowed', actor: 'service:cli', tenantId: undefined });
    expect(actingIdentity('cli', claim('rotate-secret'))).toEqual({
      kind: 'allowed',
      actor: 'service:cli',
      tenantId: 'acme',
    });
  });

  it('in the all-in-one process, keeps the claims of its own modules but still needs a tenant', () => {
    expect(actingIdentity('all-in-one', claim('rotate-secret'))).toEqual({
      kind: 'allowed',
      actor: KEY_ID,
      tenantId: 'acme',
    });
    expect(
      actingIdentity('all-in-one', claim('rotate-secret', { tenantId: undefined })),
    ).toMatchObject({ kind: 'refused', code: 'tenant_required' });
  });
});
