import { RpcException } from '@nestjs/microservices';
import { actingAs } from './caller-identity';

const meta = { actor: 'attacker', requestId: 'r-1' };

describe('actingAs: the command service boundary', () => {
  it('records an internal caller as itself, not as the actor it claims', () => {
    const request = { meta, endpointId: 'we_1', keyId: 'key_1' };
    expect(actingAs('expiry', 'expire-previous-secret', request).meta).toEqual({
      actor: 'service:expiry',
      requestId: 'r-1',
    });
  });

  it('refuses an endpoint command without a tenant with a typed 422 reply, before any work', () => {
    const refuse = () =>
      actingAs('gateway', 'rotate-secret', {
        meta: { ...meta, actor: 'ak_0123456789abcdef' },
        endpointId: 'we_1',
      });
    expect(refuse).toThrow(RpcException);
    try {
      refuse();
    } catch (error) {
      expect((error as RpcException).getError()).toEqual({
        error: {
          code: 'tenant_required',
          message: 'rotate-secret must name its tenant',
          status: 422,
          param: 'tenantId',
          errors: [],
        },
      });
    }
  });

  it('refuses a caller the command is not for with 403', () => {
    const refusal = (() => {
      try {
        actingAs('signer', 'delete-endpoint', { meta, tenantId: 'acme', endpointId: 'we_1' });
      } catch (error) {
        return (error as RpcException).getError();
      }
    })();
    expect(refusal).toMatchObject({ error: { code: 'caller_not_allowed', status: 403 } });
  });
});
