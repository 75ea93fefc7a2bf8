import { SUBJECTS } from '@rotor/contracts';
import { MAX_REQUEST_DEPTH } from '@rotor/messaging';
import { describeWithNats, waitFor } from '@rotor/testing';
import fc from 'fast-check';
import { connect, type NatsConnection } from 'nats';
import { RotorServices } from './rotor-services';

/**
 * No message can kill a service (issue 10): random bytes and random JSON, thrown at every
 * `rotor.*` subject of the running command, signer and query services, with and without a
 * reply subject. Every request gets a JSON reply, a typed error unless it happened to be
 * valid, and never an internal error; after each one, every service still answers a valid
 * request. The services run in this process, so one that threw outside a handler would
 * fail the suite.
 */
// The operator's identity: the one internal caller that may send every command.
const CALLER = 'cli';
const SERVED = [
  ...Object.values(SUBJECTS.command),
  ...Object.values(SUBJECTS.signer),
  ...Object.values(SUBJECTS.query),
];
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** What the wire says of a body: a JSON object (a request message, maybe an invalid one) or not. */
function isJsonObject(body: Uint8Array): boolean {
  try {
    const value: unknown = JSON.parse(strictUtf8.decode(body));
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

const nested = (depth: number, open: string, close: string) =>
  `${open.repeat(depth)}${close.repeat(depth)}`;

/** Bodies of every kind the issue lists, as bytes. */
const hostileBody: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 256 }),
  fc.jsonValue().map((v) => encoder.encode(JSON.stringify(v))),
  fc
    .dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 }))
    .map((v) => encoder.encode(JSON.stringify(v))),
  // Rotor's field names with values of any type.
  fc
    .record(
      {
        meta: fc.jsonValue({ maxDepth: 2 }),
        tenantId: fc.jsonValue({ maxDepth: 1 }),
        endpointId: fc.jsonValue({ maxDepth: 1 }),
        keyId: fc.jsonValue({ maxDepth: 1 }),
        items: fc.jsonValue({ maxDepth: 2 }),
        payload: fc.jsonValue({ maxDepth: 1 }),
        limit: fc.jsonValue({ maxDepth: 1 }),
      },
      { requiredKeys: [] },
    )
    .map((v) => encoder.encode(JSON.stringify(v))),
  fc
    .constantFrom(
      '',
      'null',
      '[]',
      '0',
      '-1e999',
      '"x"',
      'true',
      '{',
      '}',
      '{"meta":null}',
      '\u0000',
    )
    .map((v) => encoder.encode(v)),
  fc
    .integer({ min: MAX_REQUEST_DEPTH - 2, max: 20_000 })
    .chain((depth) =>
      fc.constantFrom(
        nested(depth, '[', ']'),
        `{"meta":${nested(depth, '{"a":', '}').replace(/:}/, ':1}')}}`,
        '['.repeat(depth),
      ),
    )
    .map((v) => encoder.encode(v)),
  // Huge, within the server's max_payload (1 MiB here).
  fc
    .constantFrom(
      `{"payload":"${'x'.repeat(900_000)}"}`,
      `[${'1,'.repeat(300_000)}1]`,
      `{"items":[${'{},'.repeat(200_000)}{}]}`,
    )
    .map((v) => encoder.encode(v)),
);

describeWithNats('hostile messages on every subject', (natsUrl) => {
  let rotor: RotorServices;
  let nc: NatsConnection;
  let endpointId: string;
  let requests = 0;

  const ask = async (subject: string, body: Uint8Array) =>
    JSON.parse(
      decoder.decode((await nc.request(`${subject}.${CALLER}`, body, { timeout: 10_000 })).data),
    ) as { error?: { code: string; status: number; message: string } };
  const askJson = (subject: string, request: unknown) =>
    ask(subject, encoder.encode(JSON.stringify(request)));

  /** One valid request per service, each answered without an error. */
  const everyServiceAnswers = async () => {
    const replies = await Promise.all([
      askJson(SUBJECTS.command.rotateSecret, {
        meta: { actor: CALLER, requestId: `fuzz-${++requests}` },
        tenantId: 'acme',
        endpointId,
        force: true,
      }),
      askJson(SUBJECTS.signer.sign, {
        endpointId,
        msgId: 'msg_1',
        timestamp: 1,
        payload: '{}',
      }),
      askJson(SUBJECTS.query.getEndpoint, { tenantId: 'acme', endpointId }),
    ]);
    expect(replies.map((r) => r.error)).toEqual([undefined, undefined, undefined]);
  };

  beforeAll(async () => {
    rotor = new RotorServices(natsUrl());
    await rotor.start('command', 'projector', 'signer', 'query');
    nc = await connect({ servers: natsUrl(), inboxPrefix: `_INBOX_${CALLER}` });
    const registered = (await askJson(SUBJECTS.command.registerEndpoint, {
      meta: { actor: CALLER, requestId: 'fuzz-register' },
      tenantId: 'acme',
    })) as { endpoint: { id: string } };
    endpointId = registered.endpoint.id;
    await waitFor(async () => {
      const [signed, view] = await Promise.all([
        askJson(SUBJECTS.signer.sign, { endpointId, msgId: 'm', timestamp: 1, payload: '' }),
        askJson(SUBJECTS.query.getEndpoint, { tenantId: 'acme', endpointId }),
      ]);
      return !signed.error && !view.error;
    }, 'the signer and the query service to know the endpoint');
  });
  afterAll(async () => {
    await nc?.drain();
    await rotor.close();
  });

  it('answers each with a typed error, drops it without a reply subject, and keeps serving', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...SERVED), hostileBody, async (subject, body) => {
        nc.publish(`${subject}.${CALLER}`, body);
        const reply = await ask(subject, body);
        if (!isJsonObject(body))
          expect(reply.error).toMatchObject({ code: 'invalid_request', status: 400 });
        else if (reply.error) expect(reply.error.status).toBeLessThan(500);
        await everyServiceAnswers();
      }),
      { numRuns: 300, interruptAfterTimeLimit: 45_000 },
    );
  });

  it('answers the named cases on every subject with 400 invalid_request', async () => {
    const bodies = ['', 'x', 'null', '[]', '42', '"s"', nested(MAX_REQUEST_DEPTH + 1, '[', ']')];
    for (const subject of SERVED)
      for (const body of [...bodies.map((b) => encoder.encode(b)), new Uint8Array([0xff, 0x00])])
        expect({
          subject,
          body: decoder.decode(body),
          error: (await ask(subject, body)).error,
        }).toEqual({
          subject,
          body: decoder.decode(body),
          error: expect.objectContaining({ code: 'invalid_request', status: 400 }),
        });
    await everyServiceAnswers();
  });
});
