import { RpcReplyError, RpcTransportError } from './rpc-errors';
import {
  callerSubject,
  decodeReply,
  decodeRequest,
  encodeReply,
  inboxPrefixOf,
  isCallerToken,
  MAX_REQUEST_BYTES,
  MAX_REQUEST_DEPTH,
  nestsDeeperThan,
  servedSubject,
} from './wire';

const messageOf = (data: Uint8Array | string) => {
  const decoded = decodeRequest(data);
  return decoded.ok ? undefined : decoded.error.error;
};

describe('the wire format', () => {
  it('names subjects and inboxes after the caller', () => {
    expect(callerSubject('rotor.command.rotate-secret', 'gateway')).toBe(
      'rotor.command.rotate-secret.gateway',
    );
    expect(servedSubject('rotor.command.rotate-secret')).toBe('rotor.command.rotate-secret.*');
    expect(inboxPrefixOf('gateway')).toBe('_INBOX_gateway');
    for (const bad of ['', 'a.b', 'a*', '>', 'a b', 'x'.repeat(65)]) {
      expect(isCallerToken(bad)).toBe(false);
      expect(() => inboxPrefixOf(bad)).toThrow(/invalid NATS caller/);
    }
  });

  it('decodes a JSON object from bytes or text', () => {
    expect(decodeRequest(new TextEncoder().encode('{"a":"é"}'))).toEqual({
      ok: true,
      value: { a: 'é' },
    });
    expect(decodeRequest('{"a":[1,{"b":null}]}')).toEqual({
      ok: true,
      value: { a: [1, { b: null }] },
    });
  });

  it('refuses everything else with a 400 invalid_request that says why', () => {
    const cases: Array<[Uint8Array | string, RegExp]> = [
      [new Uint8Array(), /empty/],
      ['', /empty/],
      [new Uint8Array([0xc3, 0x28]), /not UTF-8/],
      ['{"a":1', /not valid JSON/],
      ['null', /not null/],
      ['[1]', /not an array/],
      ['1e400', /not a number/],
      ['"x"', /not a string/],
      ['false', /not a boolean/],
      ['['.repeat(MAX_REQUEST_DEPTH + 1), /deeper than 64/],
      [`{"a":"${'x'.repeat(MAX_REQUEST_BYTES)}"}`, /larger than/],
      [`{"a":"${'é'.repeat(MAX_REQUEST_BYTES / 2)}"}`, /larger than/],
    ];
    for (const [data, message] of cases) {
      const error = messageOf(data);
      expect(error).toMatchObject({ code: 'invalid_request', status: 400, errors: [] });
      expect(error?.message).toMatch(message);
    }
  });

  it('counts nesting outside strings only, without parsing', () => {
    const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
    expect(nestsDeeperThan(nested(64), 64)).toBe(false);
    expect(nestsDeeperThan(nested(65), 64)).toBe(true);
    expect(nestsDeeperThan(`{"a":"${'['.repeat(100)}"}`, 64)).toBe(false);
    expect(nestsDeeperThan(`{"a":"\\"${'{'.repeat(100)}"}`, 64)).toBe(false);
    expect(nestsDeeperThan(`[${'{"a":'.repeat(64)}1${'}'.repeat(64)}]`, 64)).toBe(true);
  });

  it('encodes a reply once; nothing becomes {}', () => {
    expect(encodeReply({ a: new Date(0) })).toBe('{"a":"1970-01-01T00:00:00.000Z"}');
    expect(encodeReply(undefined)).toBe('{}');
  });

  it('reads a reply: the message, or the ErrorBody as an RpcReplyError', () => {
    expect(decodeReply('s', '{"keyId":"key_1"}')).toEqual({ keyId: 'key_1' });
    const body = { code: 'endpoint_not_found', message: 'no', status: 404, errors: [] };
    const error = (() => {
      try {
        return decodeReply('s', JSON.stringify({ error: body }));
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(RpcReplyError);
    expect(error).toMatchObject({ subject: 's', body, code: 'endpoint_not_found', status: 404 });
    expect(() => decodeReply('s', 'not json')).toThrow(RpcTransportError);
  });
});
