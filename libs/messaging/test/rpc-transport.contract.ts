import type { ClientProxy } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import { NestRpcClient } from '../src/rpc-client';
import { RpcReplyError, RpcTimeoutError } from '../src/rpc-errors';
import { FIXTURE, REFUSAL, UNKNOWN_ERROR } from './rpc-fixture';

/**
 * The assertions every Nest transport of ours must pass, run against the in-process
 * transport (in-process.transport.spec.ts) and against NATS (nats-transport.int-spec.ts),
 * so the two cannot drift apart. `client()` is called inside each test, once the
 * fixture controller is listening.
 */
export function rpcTransportContract(client: () => ClientProxy): void {
  const rpc = () => new NestRpcClient(client());
  const options = { timeoutMs: 5_000 };

  it('answers a request on its subject, with the subject in the context', async () => {
    const reply = await rpc().request(FIXTURE.echo, { hello: 'world' }, options);
    expect(reply).toEqual({
      data: { hello: 'world' },
      subject: FIXTURE.echo,
      instance: expect.any(String),
    });
  });

  it('an RpcException reaches the caller as its payload, exactly', async () => {
    await expect(firstValueFrom(client().send(FIXTURE.refuse, {}))).rejects.toStrictEqual(REFUSAL);
  });

  it('an RpcException reaches an RpcClient as a typed RpcReplyError', async () => {
    const error = await rpc()
      .request(FIXTURE.refuse, {}, options)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpcReplyError);
    expect(error).toMatchObject({ subject: FIXTURE.refuse, ...REFUSAL });
    expect((error as RpcReplyError).toPayload()).toStrictEqual(REFUSAL);
  });

  it('any other exception becomes the filter’s generic error, without internals', async () => {
    await expect(firstValueFrom(client().send(FIXTURE.crash, {}))).rejects.toStrictEqual(
      UNKNOWN_ERROR,
    );
    await expect(rpc().request(FIXTURE.crash, {}, options)).rejects.toMatchObject({
      name: 'RpcReplyError',
      code: 'internal_error',
      status: 500,
      message: 'Internal server error',
    });
  });

  it('a handler that returns nothing answers undefined', async () => {
    await expect(rpc().request(FIXTURE.nothing, {}, options)).resolves.toBeUndefined();
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

  it('a subject nobody serves times out with an RpcTimeoutError', async () => {
    const error = await rpc()
      .request(FIXTURE.unserved, {}, { timeoutMs: 100 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpcTimeoutError);
    expect(error).toMatchObject({ subject: FIXTURE.unserved, timeoutMs: 100 });
  });
}
