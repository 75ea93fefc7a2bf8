import { errorReply, invalidRequest, isErrorReply } from './errors';
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
