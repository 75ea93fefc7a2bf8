import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { generateSecret, secretBytes } from './secrets';
import {
  signatureHeaders,
  verifySignature,
  type SignatureHeaders,
  type VerifyInput,
} from './signing';

/**
 * Cross-checked against the reference implementation (`standardwebhooks`), both ways: what
 * we sign, it verifies; what it signs, we verify.
 */
const NOW = 1_767_225_600; // 2026-01-01T00:00:00Z, in seconds
const MSG_ID = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';
const payload = JSON.stringify({ type: 'invoice.paid', data: { id: 'in_1', amount: 4200 } });
const newest = generateSecret();
const previous = generateSecret();
const stranger = generateSecret();

const sign = (secrets: string[], overrides: { timestamp?: number; payload?: string } = {}) =>
  signatureHeaders({
    msgId: MSG_ID,
    timestamp: overrides.timestamp ?? NOW,
    payload: overrides.payload ?? payload,
    secrets: secrets.map(secretBytes),
  });

/** The reference library's verdict, with its clock pinned to NOW. */
const referenceAccepts = (secret: string, headers: SignatureHeaders, body = payload): boolean => {
  const clock = jest.spyOn(Date, 'now').mockReturnValue(NOW * 1000);
  try {
    new Webhook(secret).verify(body, { ...headers });
    return true;
  } catch {
    return false;
  } finally {
    clock.mockRestore();
  }
};

describe('signatureHeaders', () => {
  it('given two keys, when signed, then the header has one v1 entry per key, newest first', () => {
    const headers = sign([newest, previous]);

    const entries = headers['webhook-signature'].split(' ');
    expect(headers['webhook-id']).toBe(MSG_ID);
    expect(headers['webhook-timestamp']).toBe(String(NOW));
    expect(entries).toHaveLength(2);
    expect(entries[0]).toBe(sign([newest])['webhook-signature']);
    expect(entries[1]).toBe(sign([previous])['webhook-signature']);
    entries.forEach((entry) => expect(entry).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/));
  });

  it('given a payload, when signed, then the signature is HMAC-SHA256 of msgId.timestamp.payload', () => {
    const expected = createHmac('sha256', secretBytes(newest))
      .update(`${MSG_ID}.${NOW}.${payload}`)
      .digest('base64');

    expect(sign([newest])['webhook-signature']).toBe(`v1,${expected}`);
  });

  it('given the payload as a Buffer, when signed, then the signature is the same as for the string', () => {
    const fromBuffer = signatureHeaders({
      msgId: MSG_ID,
      timestamp: NOW,
      payload: Buffer.from(payload),
      secrets: [secretBytes(newest)],
    });

    expect(fromBuffer).toEqual(sign([newest]));
  });

  it.each([
    ['no keys', { secrets: [] }],
    ['a fractional timestamp', { timestamp: NOW + 0.5 }],
    ['an empty msgId', { msgId: '' }],
  ])('given %s, when signed, then refuses', (_, overrides) => {
    const input = { msgId: MSG_ID, timestamp: NOW, payload, secrets: [secretBytes(newest)] };
    expect(() => signatureHeaders({ ...input, ...overrides })).toThrow(TypeError);
  });

  it('given two keys, when signed, then the reference library verifies under each secret', () => {
    const headers = sign([newest, previous]);

    expect(referenceAccepts(newest, headers)).toBe(true);
    expect(referenceAccepts(previous, headers)).toBe(true);
    expect(referenceAccepts(stranger, headers)).toBe(false);
  });

  it('given a tampered body or a stale timestamp, when the reference library verifies, then it rejects', () => {
    expect(referenceAccepts(newest, sign([newest]), `${payload} `)).toBe(false);
    expect(referenceAccepts(newest, sign([newest], { timestamp: NOW - 301 }))).toBe(false);
  });
});

describe('verifySignature', () => {
  /** Headers signed by the reference library. */
  const referenceHeaders = (secret: string, timestamp = NOW, body = payload): SignatureHeaders => ({
    'webhook-id': MSG_ID,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': new Webhook(secret).sign(MSG_ID, new Date(timestamp * 1000), body),
  });
  const verify = (headers: VerifyInput['headers'], secrets: (string | Buffer)[], body = payload) =>
    verifySignature({ headers, payload: body, secrets, now: NOW });

  it('given headers signed by the reference library, when verified, then they match that secret', () => {
    const headers = referenceHeaders(previous);

    expect(verify(headers, [newest, previous])).toEqual({ ok: true, matchedIndex: 1 });
    expect(verify(headers, [secretBytes(previous)])).toEqual({ ok: true, matchedIndex: 0 });
  });

  it('given our own two-key headers, when verified with either secret alone, then each matches', () => {
    const headers = sign([newest, previous]);

    expect(verify({ ...headers }, [previous])).toEqual({ ok: true, matchedIndex: 0 });
    expect(verify({ ...headers }, [newest])).toEqual({ ok: true, matchedIndex: 0 });
  });

  it('given a tampered body, when verified, then no signature matches', () => {
    expect(verify({ ...referenceHeaders(newest) }, [newest], `${payload} `)).toEqual({
      ok: false,
      reason: 'no_matching_signature',
    });
  });

  it('given the wrong secret, when verified, then no signature matches', () => {
    expect(verify({ ...referenceHeaders(newest) }, [stranger])).toEqual({
      ok: false,
      reason: 'no_matching_signature',
    });
  });

  it('given a timestamp 301 s old, when verified, then it is stale; 300 s is still accepted', () => {
    expect(verify({ ...referenceHeaders(newest, NOW - 301) }, [newest])).toEqual({
      ok: false,
      reason: 'stale_timestamp',
    });
    expect(verify({ ...referenceHeaders(newest, NOW - 300) }, [newest]).ok).toBe(true);
  });

  it('given a timestamp 301 s ahead, when verified, then it is from the future', () => {
    expect(verify({ ...referenceHeaders(newest, NOW + 301) }, [newest])).toEqual({
      ok: false,
      reason: 'future_timestamp',
    });
  });

  it('given a custom tolerance, when verified, then the window follows it', () => {
    const headers = { ...referenceHeaders(newest, NOW - 10) };
    const result = verifySignature({
      headers,
      payload,
      secrets: [newest],
      now: NOW,
      toleranceSeconds: 5,
    });

    expect(result).toEqual({ ok: false, reason: 'stale_timestamp' });
  });

  it.each(['webhook-id', 'webhook-timestamp', 'webhook-signature'])(
    'given no %s header, when verified, then headers are missing',
    (name) => {
      const headers: Record<string, string> = { ...referenceHeaders(newest) };
      delete headers[name];

      expect(verify(headers, [newest])).toEqual({ ok: false, reason: 'missing_headers' });
    },
  );

  it('given a non-numeric timestamp, when verified, then headers count as missing', () => {
    const headers = { ...referenceHeaders(newest), 'webhook-timestamp': 'yesterday' };
    expect(verify(headers, [newest])).toEqual({ ok: false, reason: 'missing_headers' });
  });

  it('given headers in another case, when verified, then they are found', () => {
    const headers = referenceHeaders(newest);
    const shouted = {
      'Webhook-Id': headers['webhook-id'],
      'WEBHOOK-TIMESTAMP': headers['webhook-timestamp'],
      'Webhook-Signature': headers['webhook-signature'],
    };

    expect(verify(shouted, [newest])).toEqual({ ok: true, matchedIndex: 0 });
  });

  it('given unknown versions and junk beside a v1 signature, when verified, then the v1 one matches', () => {
    const good = referenceHeaders(newest)['webhook-signature'];
    const v1 = good.slice(3);
    const headers = {
      ...referenceHeaders(newest),
      'webhook-signature': `v1a,${v1} v2,${v1} v1,short junk ${good}`,
    };

    expect(verify(headers, [newest])).toEqual({ ok: true, matchedIndex: 0 });
  });

  it('given many signatures with the matching one last, when verified, then it is found', () => {
    const good = referenceHeaders(newest)['webhook-signature'];
    const others = Array.from(
      { length: 20 },
      () => referenceHeaders(stranger)['webhook-signature'],
    );
    const headers = {
      ...referenceHeaders(newest),
      'webhook-signature': `${others.join(' ')}  ${good} `,
    };

    expect(verify(headers, [previous, newest])).toEqual({ ok: true, matchedIndex: 1 });
  });

  it('given a v1 signature longer than a digest that starts with the right one, when verified, then it does not match', () => {
    const digest = Buffer.from(referenceHeaders(newest)['webhook-signature'].slice(3), 'base64');
    const longer = (extra: number) =>
      `v1,${Buffer.concat([digest, Buffer.alloc(extra, 1)]).toString('base64')}`;
    for (const extra of [1, 16, 31, 200]) {
      const headers = { ...referenceHeaders(newest), 'webhook-signature': longer(extra) };
      expect(verify(headers, [newest])).toEqual({ ok: false, reason: 'no_matching_signature' });
    }
  });

  it('given a v1 signature spelled with characters base64 skips, when verified, then it reads as Buffer.from does', () => {
    const text = referenceHeaders(newest)['webhook-signature'].slice(3);
    // Well past the length the fixed slots take directly.
    const spelled = text.split('').join('!!');
    expect(Buffer.from(spelled, 'base64')).toEqual(Buffer.from(text, 'base64'));
    const headers = { ...referenceHeaders(newest), 'webhook-signature': `v1,${spelled}` };

    expect(verify(headers, [newest])).toEqual({ ok: true, matchedIndex: 0 });
  });

  it('given a call after one that matched, when its own signatures do not, then nothing of the first counts', () => {
    const good = referenceHeaders(newest)['webhook-signature'];
    const wrong = referenceHeaders(stranger)['webhook-signature'];
    // The matching digest is decoded second, behind a wrong one.
    const first = { ...referenceHeaders(newest), 'webhook-signature': `${wrong} ${good}` };
    expect(verify(first, [newest]).ok).toBe(true);
    const second = { ...first, 'webhook-signature': `v1, v1,short ${wrong}` };

    expect(verify(second, [newest])).toEqual({ ok: false, reason: 'no_matching_signature' });
  });

  it('given a valid signature under an unknown version only, when verified, then it does not count', () => {
    const headers = referenceHeaders(newest);
    const renamed = {
      ...headers,
      'webhook-signature': headers['webhook-signature'].replace('v1,', 'v9,'),
    };

    expect(verify(renamed, [newest])).toEqual({ ok: false, reason: 'no_matching_signature' });
  });
});
