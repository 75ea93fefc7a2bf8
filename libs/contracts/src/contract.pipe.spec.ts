import type { ArgumentsHost } from '@nestjs/common';
import { BaseRpcExceptionFilter, RpcException } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import { ContractPipe } from './contract.pipe';
import { REQUESTS } from './testing/examples';
import { validateMessage } from './validation';

const PAYLOAD = { type: 3 as unknown as 'body' } as const; // RpcParamtype.PAYLOAD
const CONTEXT = { type: 6 as unknown as 'custom' } as const; // RpcParamtype.CONTEXT

const rejection = (run: () => unknown): RpcException => {
  try {
    run();
  } catch (error) {
    if (error instanceof RpcException) return error;
    throw error;
  }
  throw new Error('expected an RpcException');
};

describe('ContractPipe', () => {
  const rotate = REQUESTS['rotor.command.rotate-secret'];
  const pipe = new ContractPipe('RotateSecretRequest');

  it('passes a valid payload through unchanged', () => {
    expect(pipe.transform(rotate, PAYLOAD)).toBe(rotate);
    expect(pipe.transform(rotate)).toBe(rotate);
  });

  it('throws RpcException carrying a 422 ErrorReply with every field error', () => {
    const bad = { ...rotate, endpointId: 'nope', force: 'yes', meta: { actor: 'a' }, x: 1 };
    const error = rejection(() => pipe.transform(bad, PAYLOAD)).getError();
    expect(error).toEqual({
      error: {
        code: 'invalid_request',
        message: 'invalid RotateSecretRequest: x is not a known field (and 3 more)',
        status: 422,
        errors: [
          { field: 'x', message: 'is not a known field' },
          { field: 'meta.requestId', message: 'is required' },
          { field: 'endpointId', message: expect.stringMatching(/^must be an endpoint id/) },
          { field: 'force', message: 'must be a boolean' },
        ],
      },
    });
    expect(validateMessage('ErrorReply', error).ok).toBe(true);
  });

  it('leaves other parameters (the context) alone', () => {
    const context = { not: 'a request' };
    expect(pipe.transform(context, CONTEXT)).toBe(context);
    expect(pipe.transform(context, { type: 'custom' })).toBe(context);
  });

  it('reaches the caller as the ErrorReply, not "Internal server error"', async () => {
    const exception = rejection(() => new ContractPipe('SignRequest').transform({}, PAYLOAD));
    const reply$ = new BaseRpcExceptionFilter().catch(exception, {} as ArgumentsHost);
    const sent = await firstValueFrom(reply$).catch((error: unknown) => error);
    expect(sent).toMatchObject({
      error: { code: 'invalid_request', status: 422 },
    });
    expect((sent as { error: { errors: unknown[] } }).error.errors).toHaveLength(4);
  });
});
