import { errorReply, invalidRequest, isErrorReply, RotorRpcError, unwrapReply } from './errors';
import { validateMessage } from './validation';

describe('error replies', () => {
  it('build the ErrorReply contract, errors always present', () => {
    const reply = errorReply('rotation_in_progress', 'wait', 409);
    expect(reply).toEqual({
      error: { code: 'rotation_in_progress', message: 'wait', status: 409, errors: [] },
    });
    expect(validateMessage('ErrorReply', reply).ok).toBe(true);
    const withParam = errorReply('invalid_grace_period', 'too long', 422, {
      param: 'expireCurrentIn',
    });
    expect(withParam.error.param).toBe('expireCurrentIn');
    expect(validateMessage('ErrorReply', withParam).ok).toBe(true);
    const invalid = invalidRequest('bad', [{ field: 'url', message: 'must be a URL' }]);
    expect(invalid.error).toMatchObject({ code: 'invalid_request', status: 422 });
  });

  it('are told apart from other replies', () => {
    expect(isErrorReply(errorReply('x', 'y', 500))).toBe(true);
    expect(isErrorReply({ error: { code: 'x', message: 'y', status: '500' } })).toBe(false);
    expect(isErrorReply({ status: 'error', message: 'Internal server error' })).toBe(false);
    expect(isErrorReply({ endpointId: 'we_1' })).toBe(false);
    expect(isErrorReply(null)).toBe(false);
  });
});

describe('RotorRpcError', () => {
  it('carries the reply it was given', () => {
    const reply = errorReply('endpoint_not_found', 'endpoint we_1 not found', 404, {
      param: 'endpointId',
    });
    const error = RotorRpcError.from(reply);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({
      name: 'RotorRpcError',
      message: 'endpoint we_1 not found',
      code: 'endpoint_not_found',
      status: 404,
      param: 'endpointId',
      errors: [],
      reply,
    });
    expect(RotorRpcError.from(error)).toBe(error);
  });

  it('turns anything else into 500 internal_error without leaking it', () => {
    const nest = { status: 'error', message: 'Internal server error' };
    const error = RotorRpcError.from(nest);
    expect(error).toMatchObject({ code: 'internal_error', status: 500, message: 'internal error' });
    expect(error.cause).toBe(nest);
    expect(RotorRpcError.from(new Error('ECONNREFUSED 10.0.0.1')).message).toBe('internal error');
  });

  it('is thrown by unwrapReply for an error reply only', () => {
    expect(unwrapReply({ endpointId: 'we_1' })).toEqual({ endpointId: 'we_1' });
    expect(() => unwrapReply(errorReply('expiry_not_due', 'not yet', 409))).toThrow(RotorRpcError);
  });
});
