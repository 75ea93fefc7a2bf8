import type {
  EndpointDeleted,
  EndpointRegistered,
  PreviousSecretExpired,
  SecretRotated,
} from '@rotor/domain';
import {
  MESSAGE_SCHEMAS,
  RPC_SCHEMAS,
  type EndpointDeletedData,
  type EndpointRegisteredData,
  type FieldSchema,
  type MessageName,
  type PreviousSecretExpiredData,
  type RpcSubject,
  type SecretRotatedData,
} from './index';
import { ENDPOINT_ID, ENDPOINT_VIEW, KEY_RING_VIEW, REPLIES, REQUESTS } from './testing/examples';
import { MAX_FIELD_ERRORS, validateMessage } from './validation';

const subjects = Object.keys(RPC_SCHEMAS) as RpcSubject[];
const requestOf = (subject: RpcSubject) => RPC_SCHEMAS[subject].request;

const errorsOf = (name: MessageName, value: unknown) => {
  const result = validateMessage(name, value);
  if (result.ok) throw new Error(`expected ${name} to be invalid`);
  return result.errors;
};

/** A value of the wrong JSON type for the field. */
const wrongType = (field: FieldSchema): unknown =>
  field.repeated ? { not: 'a list' } : field.kind === 'string' || field.kind === 'enum' ? 42 : 'x';

describe('validateMessage', () => {
  describe.each(subjects)('%s', (subject) => {
    const name = requestOf(subject);
    const example = REQUESTS[subject] as unknown as Record<string, unknown>;
    const fields = MESSAGE_SCHEMAS[name].fields;

    it('accepts a valid request, as the same object', () => {
      const result = validateMessage(name, example);
      expect(result).toEqual({ ok: true, value: example });
      expect(result.ok && result.value).toBe(example);
    });

    it('accepts a valid reply', () => {
      expect(validateMessage(RPC_SCHEMAS[subject].reply, REPLIES[subject])).toMatchObject({
        ok: true,
      });
    });

    it.each(fields.filter((f) => !f.optional).map((f) => [f.name]))('requires %s', (field) => {
      const { [field]: _dropped, ...rest } = example;
      expect(errorsOf(name, rest)).toEqual([{ field, message: 'is required' }]);
    });

    it.each(fields.map((f) => [f.name, f] as const))('type-checks %s', (field, schema) => {
      const errors = errorsOf(name, { ...example, [field]: wrongType(schema) });
      expect(errors).toEqual([{ field, message: expect.stringMatching(/^must be/) }]);
    });

    it('rejects unknown fields, including snake_case spellings', () => {
      expect(errorsOf(name, { ...example, extra: 1, endpoint_id: ENDPOINT_ID })).toEqual([
        { field: 'extra', message: 'is not a known field' },
        { field: 'endpoint_id', message: 'is not a known field' },
      ]);
    });
  });

  it('names nested fields with dotted paths and indexes', () => {
    const sign = REQUESTS['rotor.signer.sign'];
    const bad = { ...sign, endpointId: 'we_nope', msgId: undefined, colour: 'red' };
    expect(errorsOf('SignBatchRequest', { items: [sign, sign, sign, bad] })).toEqual([
      { field: 'items[3].colour', message: 'is not a known field' },
      { field: 'items[3].endpointId', message: expect.stringMatching(/^must be an endpoint id/) },
      { field: 'items[3].msgId', message: 'is required' },
    ]);
    const rotate = REQUESTS['rotor.command.rotate-secret'];
    expect(errorsOf('RotateSecretRequest', { ...rotate, meta: { actor: '' } })).toEqual([
      { field: 'meta.actor', message: 'must not be empty' },
      { field: 'meta.requestId', message: 'is required' },
    ]);
    expect(
      errorsOf('ListKeysReply', {
        data: [ENDPOINT_VIEW.keys[0], { ...ENDPOINT_VIEW.keys[1], status: 'old' }],
      }),
    ).toEqual([{ field: 'data[1].status', message: 'must be one of: current, previous, expired' }]);
  });

  it('treats undefined as absent and rejects null', () => {
    const get = REQUESTS['rotor.query.list-endpoints'];
    expect(validateMessage('ListEndpointsRequest', { ...get, cursor: undefined }).ok).toBe(true);
    expect(validateMessage('ListEndpointsRequest', { ...get, other: undefined }).ok).toBe(true);
    expect(errorsOf('ListEndpointsRequest', { ...get, cursor: null })).toEqual([
      { field: 'cursor', message: 'must not be null (leave the field out instead)' },
    ]);
  });

  it('rejects a message that is not an object', () => {
    for (const value of [null, 'x', 42, [], undefined])
      expect(errorsOf('SignRequest', value)).toEqual([
        { field: '', message: 'must be an object (SignRequest)' },
      ]);
  });

  it('bounds strings in UTF-8 bytes: 1 MiB for a payload', () => {
    const sign = REQUESTS['rotor.signer.sign'];
    const MiB = 1024 * 1024;
    expect(validateMessage('SignRequest', { ...sign, payload: 'a'.repeat(MiB) }).ok).toBe(true);
    expect(errorsOf('SignRequest', { ...sign, payload: 'a'.repeat(MiB + 1) })).toEqual([
      { field: 'payload', message: `must be at most ${MiB} bytes long` },
    ]);
    // 349 526 characters, but three bytes each.
    expect(
      errorsOf('SignRequest', { ...sign, payload: '€'.repeat(Math.ceil(MiB / 3)) }),
    ).toHaveLength(1);
    expect(errorsOf('SignRequest', { ...sign, msgId: 'm'.repeat(257) })).toHaveLength(1);
  });

  it('bounds strings that set no bound at 4096 bytes', () => {
    const body = { code: 'x', message: 'm'.repeat(4097), status: 500, errors: [] };
    expect(errorsOf('ErrorBody', body)).toEqual([
      { field: 'message', message: 'must be at most 4096 bytes long' },
    ]);
  });

  it('checks string formats', () => {
    const register = REQUESTS['rotor.command.register-endpoint'];
    for (const url of ['ftp://example.com/x', 'example.com/hook', 'https://', 'not a url'])
      expect(errorsOf('RegisterEndpointRequest', { ...register, url })).toEqual([
        { field: 'url', message: 'must be an absolute http or https URL' },
      ]);
    expect(
      errorsOf('RegisterEndpointRequest', {
        ...register,
        tenantId: 'Acme Prod',
        endpointId: 'we_ABC',
      }).map((e) => e.field),
    ).toEqual(['tenantId', 'endpointId']);
    const rotated = REPLIES['rotor.command.rotate-secret'];
    for (const previousKeyExpiresAt of [
      '2025-01-31',
      '2025-01-31T12:00:00',
      '2025-02-30T12:00:00Z x',
    ])
      expect(errorsOf('RotateSecretReply', { ...rotated, previousKeyExpiresAt })).toHaveLength(1);
    expect(
      errorsOf('RotateSecretReply', { ...rotated, keyId: 'key_lowercase00000000000000' }),
    ).toEqual([{ field: 'keyId', message: expect.stringMatching(/^must be a key id/) }]);
  });

  it('given a supplied secret that is not whsec_ + base64 of 24..64 bytes, then the error names the field and never quotes it', () => {
    const register = REQUESTS['rotor.command.register-endpoint'];
    const rotate = REQUESTS['rotor.command.rotate-secret'];
    const b64 = (n: number) => Buffer.alloc(n, 0xab).toString('base64');
    for (const secret of [
      `whsk_${b64(32)}`,
      b64(32),
      `whsec_${b64(30)}%`,
      `whsec_${b64(23)}`,
      `whsec_${b64(65)}`,
    ]) {
      const errors = [
        ...errorsOf('RegisterEndpointRequest', { ...register, secret }),
        ...errorsOf('RotateSecretRequest', { ...rotate, secret }),
      ];
      expect(errors).toEqual([
        { field: 'secret', message: expect.stringMatching(/^must be a whsec_ secret/) },
        { field: 'secret', message: expect.stringMatching(/^must be a whsec_ secret/) },
      ]);
      expect(JSON.stringify(errors)).not.toContain(b64(23).slice(0, 12));
    }
    for (const n of [24, 32, 64])
      expect(
        validateMessage('RegisterEndpointRequest', { ...register, secret: `whsec_${b64(n)}` }).ok,
      ).toBe(true);
    expect(
      errorsOf('RegisterEndpointRequest', { ...register, externalId: 'x'.repeat(129) }).map(
        (e) => e.field,
      ),
    ).toEqual(['externalId']);
    expect(
      validateMessage('ListEndpointsRequest', { tenantId: 'acme', externalId: 'cust 42' }).ok,
    ).toBe(true);
  });

  it('checks integers: type, range, and the bounds set in proto', () => {
    const sign = REQUESTS['rotor.signer.sign'];
    for (const timestamp of [1.5, '1738324800', Number.NaN, 2 ** 53])
      expect(errorsOf('SignRequest', { ...sign, timestamp }).map((e) => e.field)).toEqual([
        'timestamp',
      ]);
    expect(errorsOf('SignRequest', { ...sign, timestamp: -1 })).toEqual([
      { field: 'timestamp', message: `must be an integer from 0 to ${Number.MAX_SAFE_INTEGER}` },
    ]);
    const list = REQUESTS['rotor.query.list-endpoints'];
    expect(errorsOf('ListEndpointsRequest', { ...list, limit: 0 })).toEqual([
      { field: 'limit', message: 'must be an integer from 1 to 100' },
    ]);
    const rotate = REQUESTS['rotor.command.rotate-secret'];
    expect(errorsOf('RotateSecretRequest', { ...rotate, expireCurrentIn: 2 ** 31 })).toHaveLength(
      1,
    );
    // The grace period's own range (0..86400) is the domain's rule, with its own error code.
    expect(validateMessage('RotateSecretRequest', { ...rotate, expireCurrentIn: 90000 }).ok).toBe(
      true,
    );
  });

  it('accepts any JSON object as a Struct, and nothing else', () => {
    const [entry] = REPLIES['rotor.query.get-history'].data;
    expect(validateMessage('HistoryEntry', { ...entry, data: {} }).ok).toBe(true);
    expect(errorsOf('HistoryEntry', { ...entry, data: [1] })).toEqual([
      { field: 'data', message: 'must be an object' },
    ]);
  });

  it('bounds repeated fields that set max_items', () => {
    const sign = REQUESTS['rotor.signer.sign'];
    expect(validateMessage('SignBatchRequest', { items: Array(1000).fill(sign) }).ok).toBe(true);
    expect(errorsOf('SignBatchRequest', { items: Array(1001).fill(sign) })).toEqual([
      { field: 'items', message: 'must have at most 1000 items' },
    ]);
  });

  it(`reports at most ${MAX_FIELD_ERRORS} errors, then how many more`, () => {
    const items = Array.from({ length: 30 }, () => ({}));
    const errors = errorsOf('SignBatchRequest', { items });
    expect(errors).toHaveLength(MAX_FIELD_ERRORS + 1);
    expect(errors[MAX_FIELD_ERRORS]).toEqual({ field: '', message: 'and 100 more errors' });
  });

  it('accepts the key-ring view the signer reads', () => {
    expect(validateMessage('KeyRingView', KEY_RING_VIEW).ok).toBe(true);
    expect(
      errorsOf('KeyRingView', { ...KEY_RING_VIEW, keys: [{ keyId: KEY_RING_VIEW.keys[0].keyId }] }),
    ).toEqual([
      { field: 'keys[0].ciphertext', message: 'is required' },
      { field: 'keys[0].createdAt', message: 'is required' },
    ]);
  });

  it('throws on a message name it does not know', () => {
    expect(() => validateMessage('Nope' as MessageName, {})).toThrow('unknown message Nope');
  });
});

// Compile-time (tsc): what the domain writes is a valid wire shape of events.proto.
export const domainEventsFitTheirContracts = {
  registered: (e: EndpointRegistered['data']): EndpointRegisteredData => e,
  rotated: (e: SecretRotated['data']): SecretRotatedData => e,
  expired: (e: PreviousSecretExpired['data']): PreviousSecretExpiredData => e,
  deleted: (e: EndpointDeleted['data']): EndpointDeletedData => e,
};
