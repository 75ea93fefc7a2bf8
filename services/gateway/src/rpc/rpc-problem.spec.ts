import { Logger } from '@nestjs/common';
import { errorReply, type ErrorExtra } from '@rotor/contracts';
import { RpcReplyError, RpcTimeoutError, RpcTransportError } from '@rotor/messaging';
import { problemFromRpcError } from './rpc-problem';

describe('problemFromRpcError', () => {
  beforeAll(() => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterAll(() => jest.restoreAllMocks());

  const map = (error: unknown) =>
    problemFromRpcError(error, 'rotor.command.rotate-secret', 'req-1').problem;
  /** What the RPC client throws for an error reply. */
  const refusal = (code: string, message: string, status: number, extra?: ErrorExtra) =>
    new RpcReplyError(
      'rotor.command.rotate-secret',
      errorReply(code, message, status, extra).error,
    );

  it('passes refusals through with their status, code, message and REST field names', () => {
    expect(
      map(refusal('rotation_in_progress', 'a previous key is still valid', 409)),
    ).toMatchObject({
      status: 409,
      code: 'rotation_in_progress',
      detail: 'a previous key is still valid',
      refusedByService: true,
    });
    expect(
      map(refusal('invalid_grace_period', 'too long', 422, { param: 'expireCurrentIn' })),
    ).toMatchObject({ status: 422, param: 'expire_current_in' });
    expect(
      map(
        refusal('invalid_request', 'bad', 422, {
          errors: [{ field: 'endpointId', message: 'must be an endpoint id' }],
        }),
      ),
    ).toMatchObject({
      errors: [{ param: 'id', code: 'invalid_request', detail: 'must be an endpoint id' }],
    });
    expect(map(refusal('endpoint_not_found', 'endpoint we_x not found', 404))).toMatchObject({
      status: 404,
    });
  });

  it('answers 503 with Retry-After when nobody answers', () => {
    for (const error of [
      new RpcTimeoutError('s', 5000),
      new RpcTransportError('s', undefined, true),
      new RpcTransportError('s', new Error('CONNECTION_CLOSED')),
      refusal('unavailable', 'store down', 503),
    ]) {
      const problem = map(error);
      expect(problem).toMatchObject({ status: 503, code: 'service_unavailable' });
      expect(problem.headers?.['Retry-After']).toBe('1');
      expect(problem.refusedByService).toBeUndefined();
    }
  });

  it('answers 500 without internals for anything else', () => {
    for (const error of [
      refusal('internal_error', 'db password wrong at /srv/x.js', 500),
      errorReply('rotation_in_progress', 'not thrown by the client: not a refusal', 409),
      new Error('boom whsec_abc'),
      undefined,
    ]) {
      const problem = map(error);
      expect(problem).toMatchObject({ status: 500, code: 'internal_error' });
      expect(problem.detail).toBe('an internal error occurred (request req-1)');
    }
  });
});
