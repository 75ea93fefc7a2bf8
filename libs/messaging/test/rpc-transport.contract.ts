import type { RpcClient } from '../src/rpc-client';
import { RpcReplyError, RpcTransportError } from '../src/rpc-errors';
import { MAX_REQUEST_DEPTH } from '../src/wire';
import { CALLER, FIXTURE, REFUSAL } from './rpc-fixture';

/** One transport as a test drives it, once the fixture controller is listening. */
export interface TransportUnderTest {
  /** Calls as `CALLER`. */
  readonly client: RpcClient;
  /** Sends `body` as is to `<subject>.<caller>`, with a reply subject; the reply's text. */
  raw(subject: string, body: string, caller?: string): Promise<string>;
  /** Sends `body` to `<subject>.<CALLER>` without a reply subject. */
  publish(subject: string, body: string): void;
}

const invalid = (message: string) =>
  JSON.stringify({ error: { code: 'invalid_request', message, status: 400, errors: [] } });

/** Bodies that are not a request message, and the reply each one gets, byte for byte. */
export const MALFORMED: ReadonlyArray<readonly [body: string, reply: string]> = [
  ['', invalid('the request is empty: send the JSON of the request message')],
  ['x', invalid('the request is not valid JSON')],
  ['{"a":', invalid('the request is not valid JSON')],
  ['{pattern: 1}', invalid('the request is not valid JSON')],
  ['null', invalid('the request must be a JSON object (the request message), not null')],
  ['[]', invalid('the request must be a JSON object (the request message), not an array')],
  ['42', invalid('the request must be a JSON object (the request message), not a number')],
  ['"s"', invalid('the request must be a JSON object (the request message), not a string')],
  ['true', invalid('the request must be a JSON object (the request message), not a boolean')],
  [
    `{"a":${'['.repeat(MAX_REQUEST_DEPTH)}${']'.repeat(MAX_REQUEST_DEPTH)}}`,
    invalid(`the request nests deeper than ${MAX_REQUEST_DEPTH} levels`),
  ],
  ['['.repeat(100_000), invalid(`the request nests deeper than ${MAX_REQUEST_DEPTH} levels`)],
];

/**
 * The assertions every transport of ours must pass, run against the in-process bus
 * (in-process-rpc.spec.ts) and against NATS (nats-rpc.int-spec.ts), so the two give the
 * same replies and the same errors. `transport()` is called inside each test.
 */
export function rpcTransportContract(transport: () => TransportUnderTest): void {
  const options = { timeoutMs: 5_000 };
  const rpc = () => transport().client;

  it('answers a request on its subject, handing the handler the caller token', async () => {
    const reply = await rpc().request(FIXTURE.echo, { hello: 'world' }, options);
    expect(reply).toEqual({
      data: { hello: 'world' },
      subject: `${FIXTURE.echo}.${CALLER}`,
      caller: CALLER,
      callerOf: CALLER,
      instance: expect.any(String),
    });
  });

  it('the wire carries the bare JSON of the request and of the reply', async () => {
    const text = await transport().raw(FIXTURE.echo, '{"hello":"world"}');
    expect(JSON.parse(text)).toMatchObject({ data: { hello: 'world' }, caller: CALLER });
    expect(await transport().raw(FIXTURE.refuse, '{}')).toBe(JSON.stringify(REFUSAL));
  });

  it('an RpcException reaches an RpcClient as an RpcReplyError carrying its ErrorBody', async () => {
    const error = await rpc()
      .request(FIXTURE.refuse, {}, options)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpcReplyError);
    expect(error).toMatchObject({
      subject: FIXTURE.refuse,
      code: 'rotation_in_progress',
      status: 409,
      param: 'force',
      message: REFUSAL.error.message,
    });
    expect((error as RpcReplyError).reply()).toStrictEqual(REFUSAL);
  });

  it('any other exception is a 500 internal_error, without internals', async () => {
    const text = await transport().raw(FIXTURE.crash, '{}');
    expect(JSON.parse(text)).toStrictEqual({
      error: { code: 'internal_error', message: 'internal error', status: 500, errors: [] },
    });
    await expect(rpc().request(FIXTURE.crash, {}, options)).rejects.toMatchObject({
      name: 'RpcReplyError',
      code: 'internal_error',
      status: 500,
    });
  });

  it('a pipe that refuses the payload answers its error: 422 invalid_request', async () => {
    const error = await rpc()
      .request(FIXTURE.validated, { endpointId: 42 }, options)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'invalid_request', status: 422 });
    expect((error as RpcReplyError).errors.length).toBeGreaterThan(0);
  });

  it('a handler that returns nothing answers {}; an Observable answers its first value', async () => {
    expect(await transport().raw(FIXTURE.nothing, '{}')).toBe('{}');
    await expect(rpc().request(FIXTURE.observable, {}, options)).resolves.toEqual({ first: true });
  });

  it('carries only JSON: dates become strings, undefined fields vanish, no shared objects', async () => {
    const request = { when: new Date('2025-01-01T00:00:00.000Z'), gone: undefined, nested: {} };
    const reply = await rpc().request<typeof request, Record<string, unknown>>(
      FIXTURE.inspect,
      request,
      options,
    );
    expect(reply).toStrictEqual({
      seen: { keys: ['nested', 'when'], when: 'string', nested: {} },
      at: '2025-01-02T03:04:05.000Z',
    });
    expect(request.nested).toStrictEqual({});
  });

  it('answers every malformed body with a 400 invalid_request, and keeps serving', async () => {
    for (const [body, reply] of MALFORMED)
      expect({ body: body.slice(0, 40), reply: await transport().raw(FIXTURE.echo, body) }).toEqual(
        { body: body.slice(0, 40), reply },
      );
    const deepest = `{"a":${'['.repeat(MAX_REQUEST_DEPTH - 1)}${']'.repeat(MAX_REQUEST_DEPTH - 1)}}`;
    expect(JSON.parse(await transport().raw(FIXTURE.echo, deepest))).toMatchObject({
      caller: CALLER,
    });
  });

  it('answers a caller token that is not a user name with a 400 invalid_request', async () => {
    expect(JSON.parse(await transport().raw(FIXTURE.echo, '{}', 'caller%x'))).toMatchObject({
      error: { code: 'invalid_request', status: 400 },
    });
  });

  it('drops a message without a reply subject, and keeps serving', async () => {
    const before = await rpc().request(FIXTURE.echo, { n: 1 }, options);
    for (const [body] of MALFORMED) transport().publish(FIXTURE.echo, body);
    transport().publish(FIXTURE.crash, '{}');
    transport().publish(FIXTURE.event, '{}');
    expect(await rpc().request(FIXTURE.echo, { n: 1 }, options)).toEqual(before);
  });

  it('a subject nobody serves fails at once with RpcTransportError (no responders)', async () => {
    const started = Date.now();
    const error = await rpc()
      .request(FIXTURE.unserved, {}, { timeoutMs: 10_000 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpcTransportError);
    expect(error).toMatchObject({ subject: FIXTURE.unserved, noResponders: true });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('a payload that is not JSON fails before it leaves, with RpcTransportError', async () => {
    await expect(rpc().request(FIXTURE.echo, { n: 1n }, options)).rejects.toBeInstanceOf(
      RpcTransportError,
    );
  });
}
