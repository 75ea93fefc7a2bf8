import type { ArgumentMetadata } from '@nestjs/common';
import {
  CreateSignatureBody,
  EmptyBody,
  ListEndpointsQuery,
  RegisterEndpointBody,
  RotateSecretBody,
} from '../endpoints/endpoint.requests';
import { ProblemException } from './problem';
import { EndpointIdPipe, gatewayValidationPipe } from './validation';

const pipe = gatewayValidationPipe();
const validate = async (
  metatype: ArgumentMetadata['metatype'],
  value: unknown,
  type: 'body' | 'query' = 'body',
) => {
  try {
    return { value: await pipe.transform(value, { type, metatype }) };
  } catch (error) {
    if (error instanceof ProblemException) return { problem: error.problem };
    throw error;
  }
};

describe('request validation', () => {
  it('accepts a valid registration and keeps only declared fields', async () => {
    const { value } = await validate(RegisterEndpointBody, {
      url: 'http://localhost:8080/hook',
      description: 'd',
    });
    expect(value).toBeInstanceOf(RegisterEndpointBody);
    expect(value).toEqual({ url: 'http://localhost:8080/hook', description: 'd' });
  });

  it.each([
    [{}, 'url'],
    [{ url: 'ftp://example.com' }, 'url'],
    [{ url: 'not a url' }, 'url'],
    [{ url: 42 }, 'url'],
    [{ url: 'https://example.com', description: 'x'.repeat(1025) }, 'description'],
    [{ url: 'https://example.com', description: 'é'.repeat(600) }, 'description'],
    [{ url: 'https://example.com', tenant_id: 'other' }, 'tenant_id'],
  ])('refuses registration %j with 422 naming %s', async (body, param) => {
    const { problem } = await validate(RegisterEndpointBody, body);
    expect(problem).toMatchObject({ status: 422, code: 'invalid_request', param });
    expect(problem?.errors?.[0]).toMatchObject({ param, detail: expect.any(String) });
  });

  it('takes expire_current_in as an integer, never coerced; its range is the domain rule', async () => {
    expect((await validate(RotateSecretBody, { expire_current_in: 0, force: true })).value).toEqual(
      {
        expire_current_in: 0,
        force: true,
      },
    );
    // Out of range passes here: the command service answers 422 invalid_grace_period, the
    // same code over REST and NATS (gateway.e2e-spec, nats-api.e2e-spec).
    expect(
      (await validate(RotateSecretBody, { expire_current_in: 86401 })).problem,
    ).toBeUndefined();
    for (const body of [{ expire_current_in: 1.5 }, { expire_current_in: '60' }])
      expect((await validate(RotateSecretBody, body)).problem).toMatchObject({
        param: 'expire_current_in',
      });
    expect((await validate(RotateSecretBody, { force: 'true' })).problem).toMatchObject({
      param: 'force',
    });
  });

  it('lists every broken field', async () => {
    const { problem } = await validate(RotateSecretBody, {
      expire_current_in: 'x',
      force: 1,
      extra: true,
    });
    expect(problem?.errors?.map((e) => e.param).sort()).toEqual(
      expect.arrayContaining(['expire_current_in', 'extra', 'force']),
    );
    expect(problem?.errors?.find((e) => e.param === 'extra')?.code).toBe('unknown_field');
  });

  it('checks a signature request', async () => {
    expect((await validate(CreateSignatureBody, { payload: '{}' })).value).toEqual({
      payload: '{}',
    });
    expect((await validate(CreateSignatureBody, { payload: {} })).problem).toMatchObject({
      param: 'payload',
    });
    expect(
      (await validate(CreateSignatureBody, { payload: '', msg_id: 'has space' })).problem,
    ).toMatchObject({
      param: 'msg_id',
    });
    expect(
      (await validate(CreateSignatureBody, { payload: '', timestamp: -5 })).problem,
    ).toMatchObject({
      param: 'timestamp',
    });
  });

  it('refuses any field on a route without parameters', async () => {
    expect((await validate(EmptyBody, {})).value).toEqual({});
    expect((await validate(EmptyBody, { x: 1 })).problem).toMatchObject({
      param: 'x',
      code: 'invalid_request',
    });
  });

  it('reads limit as a plain decimal only', async () => {
    expect((await validate(ListEndpointsQuery, { limit: '20' }, 'query')).value).toEqual({
      limit: 20,
    });
    for (const limit of ['0', '101', 'abc', '0x10', '1e2', '', ['1', '2']])
      expect((await validate(ListEndpointsQuery, { limit }, 'query')).problem).toMatchObject({
        param: 'limit',
      });
    expect((await validate(ListEndpointsQuery, { cursor: '' }, 'query')).problem).toMatchObject({
      param: 'cursor',
    });
  });
});

describe('EndpointIdPipe', () => {
  const ids = new EndpointIdPipe();
  it('passes an endpoint id', () => {
    expect(ids.transform('we_550e8400e29b41d4a716446655440000')).toBe(
      'we_550e8400e29b41d4a716446655440000',
    );
  });
  it.each([
    'we_550E8400E29B41D4A716446655440000',
    'we_123',
    'ep_550e8400e29b41d4a716446655440000',
    '../etc',
  ])('refuses %p with 422 param id', (id) => {
    expect(() => ids.transform(id)).toThrow(ProblemException);
    try {
      ids.transform(id);
    } catch (error) {
      expect((error as ProblemException).problem).toMatchObject({ status: 422, param: 'id' });
    }
  });
});
