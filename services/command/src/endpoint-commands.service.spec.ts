import { Test } from '@nestjs/testing';
import { RpcException } from '@nestjs/microservices';
import { DataKeyVault, generateKekRingText, openSecret, parseKekRing } from '@rotor/crypto';
import { endpointStreamName } from '@rotor/domain';
import { SqliteEventStore, verifyStream } from '@rotor/event-store';
import { CLOCK, DATA_KEY_VAULT, EVENT_STORE } from '@rotor/runtime';
import { EndpointCommandsService } from './endpoint-commands.service';

const meta = { actor: 'test', requestId: 'req-1' };
const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: unknown) =>
      ((error as RpcException).getError() as { error: { code: string } }).error.code,
  );

describe('EndpointCommandsService (command handling on a real sqlite store)', () => {
  let store: SqliteEventStore;
  let vault: DataKeyVault;
  let commands: EndpointCommandsService;
  let now = new Date('2026-01-01T00:00:00.000Z');

  beforeEach(async () => {
    store = new SqliteEventStore(':memory:');
    vault = new DataKeyVault(store, parseKekRing(generateKekRingText()));
    const module = await Test.createTestingModule({
      providers: [
        EndpointCommandsService,
        { provide: EVENT_STORE, useValue: store },
        { provide: DATA_KEY_VAULT, useValue: vault },
        { provide: CLOCK, useValue: () => now },
      ],
    }).compile();
    commands = module.get(EndpointCommandsService);
  });
  afterEach(() => store.close());

  it('registers with a sealed secret that only the data key opens, and a valid hash chain', async () => {
    const reply = await commands.register({ meta, tenantId: 'acme', url: 'https://x.test/hook' });
    const [event] = await store.read(endpointStreamName(reply.endpoint.id));
    const key = (event.data as { key: { keyId: string; ciphertext: string } }).key;
    expect(JSON.stringify(event)).not.toContain(reply.secret);
    const dataKey = vault.unwrap((await vault.get(reply.endpoint.id))!);
    expect(openSecret(reply.endpoint.id, key as never, dataKey)).toBe(reply.secret);
    expect(event.metadata).toMatchObject({ actor: 'test', requestId: 'req-1' });
    expect(verifyStream(await store.read(endpointStreamName(reply.endpoint.id)))).toMatchObject({
      ok: true,
    });
  });

  it('refuses another tenant exactly as if the endpoint did not exist', async () => {
    const { endpoint } = await commands.register({ meta, tenantId: 'acme' });
    expect(
      await codeOf(commands.rotate({ meta, tenantId: 'other', endpointId: endpoint.id })),
    ).toBe('endpoint_not_found');
    expect(
      await codeOf(commands.delete({ meta, tenantId: 'other', endpointId: endpoint.id })),
    ).toBe('endpoint_not_found');
  });

  it('reports the previous key and its expiry on rotation, and refuses a second one in the overlap', async () => {
    const { endpoint, keyId } = await commands.register({ meta, tenantId: 'acme' });
    const rotation = await commands.rotate({ meta, endpointId: endpoint.id, expireCurrentIn: 60 });
    expect(rotation).toMatchObject({
      previousKeyId: keyId,
      previousSecretExpiresAt: '2026-01-01T00:01:00.000Z',
    });
    expect(await codeOf(commands.rotate({ meta, endpointId: endpoint.id }))).toBe(
      'rotation_in_progress',
    );
    now = new Date('2026-01-01T00:01:00.000Z');
    expect(await commands.expirePrevious({ meta, endpointId: endpoint.id, keyId })).toEqual({
      endpointId: endpoint.id,
      expired: true,
    });
    expect(await commands.expirePrevious({ meta, endpointId: endpoint.id, keyId })).toEqual({
      endpointId: endpoint.id,
      expired: false,
    });
  });

  it('shreds the data key on delete; the id can never be registered again', async () => {
    const { endpoint } = await commands.register({ meta, tenantId: 'acme' });
    await commands.delete({ meta, endpointId: endpoint.id });
    expect(await vault.get(endpoint.id)).toBeUndefined();
    expect(await codeOf(commands.rotate({ meta, endpointId: endpoint.id }))).toBe(
      'endpoint_not_found',
    );
    expect(
      await codeOf(commands.register({ meta, tenantId: 'acme', endpointId: endpoint.id })),
    ).toBe('endpoint_already_exists');
  });

  it('answers a malformed endpoint id as not found, without touching the store', async () => {
    expect(await codeOf(commands.rotate({ meta, endpointId: 'we_nope' }))).toBe(
      'endpoint_not_found',
    );
  });
});
