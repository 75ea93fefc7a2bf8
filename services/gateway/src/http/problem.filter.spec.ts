import { ArgumentsHost, BadRequestException, Logger, NotFoundException } from '@nestjs/common';
import { ProblemException } from './problem';
import { ProblemFilter, problemOf } from './problem.filter';

const REQUIRED = ['type', 'title', 'status', 'detail', 'instance', 'code'];

const respond = (
  exception: unknown,
  request: Partial<{ method: string; path: string; requestId: string }> = {},
) => {
  const sent: { status?: number; type?: string; body?: string; headers: Record<string, string> } = {
    headers: {},
  };
  const response = {
    headersSent: false,
    setHeader: (name: string, value: string) => (sent.headers[name] = value),
    status(code: number) {
      sent.status = code;
      return this;
    },
    type(value: string) {
      sent.type = value;
      return this;
    },
    send(body: string) {
      sent.body = body;
      return this;
    },
  };
  const host = {
    switchToHttp: () => ({
      getRequest: () => ({ method: 'GET', path: '/v1/x', requestId: 'req-1', ...request }),
      getResponse: () => response,
    }),
  } as unknown as ArgumentsHost;
  new ProblemFilter().catch(exception, host);
  return { ...sent, json: JSON.parse(sent.body ?? 'null') as Record<string, unknown> };
};

describe('ProblemFilter', () => {
  it('answers a problem as application/problem+json with every required member', () => {
    const sent = respond(
      new ProblemException({
        status: 409,
        code: 'rotation_in_progress',
        detail: 'a previous secret is still valid',
        param: 'force',
      }),
      { method: 'POST', path: '/v1/webhooks/endpoints/we_1/secret/rotate' },
    );
    expect(sent.status).toBe(409);
    expect(sent.type).toBe('application/problem+json');
    expect(sent.json).toEqual({
      type: 'urn:rotor:problem:rotation_in_progress',
      title: 'Conflict',
      status: 409,
      detail: 'a previous secret is still valid',
      instance: '/v1/webhooks/endpoints/we_1/secret/rotate',
      code: 'rotation_in_progress',
      param: 'force',
      request_id: 'req-1',
    });
  });

  it("sets the problem's own headers", () => {
    const sent = respond(
      new ProblemException({
        status: 429,
        code: 'rate_limited',
        detail: 'slow down',
        headers: { 'Retry-After': '7' },
      }),
    );
    expect(sent.headers['Retry-After']).toBe('7');
    expect(sent.headers['Cache-Control']).toBe('no-store');
  });

  it('answers an unknown route 404, and a known one with another method 405 with Allow', () => {
    expect(
      respond(new NotFoundException('Cannot GET /nope'), { path: '/nope' }).json,
    ).toMatchObject({
      status: 404,
      code: 'not_found',
    });
    const sent = respond(new NotFoundException(), {
      method: 'PUT',
      path: '/v1/webhooks/endpoints',
    });
    expect(sent.json).toMatchObject({ status: 405, code: 'method_not_allowed' });
    expect(sent.headers.Allow).toBe('POST, GET');
  });

  it('keeps only the status of other client errors, never their words', () => {
    expect(
      respond(new BadRequestException('Unexpected token } in JSON: {"secret": "x"')).json,
    ).toMatchObject({
      status: 400,
      code: 'bad_request',
      detail: 'the request is malformed',
    });
    const tooLarge = Object.assign(new Error('request entity too large'), {
      status: 413,
      expose: true,
    });
    expect(respond(tooLarge).json).toMatchObject({ status: 413, code: 'payload_too_large' });
  });

  it('answers anything unexpected 500 with the request id only, and logs it', () => {
    const log = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const sent = respond(new TypeError('cannot read whsec_secret of undefined at /srv/app.js:12'));
    expect(sent.status).toBe(500);
    expect(sent.json).toMatchObject({ status: 500, code: 'internal_error', request_id: 'req-1' });
    expect(sent.body).not.toContain('whsec_');
    expect(sent.body).not.toContain('app.js');
    expect(log).toHaveBeenCalledWith(expect.stringContaining('req-1'), expect.any(String));
    log.mockRestore();
  });

  it('always produces the required members', () => {
    for (const exception of [
      new Error('x'),
      'a string',
      null,
      new NotFoundException(),
      new ProblemException({ status: 422, code: 'c', detail: 'd', errors: [] }),
    ]) {
      jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
      const { json } = respond(exception);
      for (const member of REQUIRED) expect(json).toHaveProperty(member);
    }
  });
});

describe('problemOf', () => {
  it('ignores client-error statuses that are not meant to be exposed', () => {
    expect(problemOf({ status: 418 }, { method: 'GET', path: '/' })).toMatchObject({ status: 500 });
  });
});
