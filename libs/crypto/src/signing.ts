import { createHmac, sign, timingSafeEqual, type KeyObject } from 'node:crypto';
import { SIGNATURE_TOLERANCE_SECONDS } from '@rotor/domain';
import { secretBytes } from './secrets';

/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com): the signed content is
 * `${msgId}.${timestamp}.${payload}`; an HMAC key signs `v1,` + base64(HMAC-SHA256(key,
 * content)), an Ed25519 key `v1a,` + base64(Ed25519(key, content)). `webhook-signature` holds
 * one per valid key, space-separated, newest key first, so a receiver holding either the new
 * or the previous key (of either scheme) accepts the message mid-rotation.
 */
// A type alias, not an interface, so it is assignable to a plain header record (and to
// `verifySignature`'s `headers`).
export type SignatureHeaders = {
  readonly 'webhook-id': string;
  readonly 'webhook-timestamp': string;
  readonly 'webhook-signature': string;
};

export interface SignInput {
  readonly msgId: string;
  /** Unix time in whole seconds. */
  readonly timestamp: number;
  /** The exact bytes that will be sent: a string is signed as UTF-8. */
  readonly payload: string | Buffer;
  /** Newest first: decoded HMAC key bytes (`secretBytes`) or Ed25519 private keys. */
  readonly secrets: readonly SigningKey[];
}

/**
 * A key ready to sign: the bytes of a `whsec_` secret (HMAC, `v1`) or the node:crypto
 * private key of a `whsk_` key (Ed25519, `v1a`). `signingKeyOf` makes one from plaintext.
 */
export type SigningKey = Buffer | KeyObject;

/** The hot path of the signer: no secret decoding, the content prefix built once. */
export const signatureHeaders = ({
  msgId,
  timestamp,
  payload,
  secrets,
}: SignInput): SignatureHeaders => {
  if (!msgId) throw new TypeError('msgId is required');
  if (!Number.isSafeInteger(timestamp) || timestamp < 0)
    throw new TypeError('timestamp must be a non-negative integer of seconds');
  if (secrets.length === 0) throw new TypeError('at least one signing key is required');
  const prefix = `${msgId}.${timestamp}.`;
  let signature = '';
  // Ed25519 signs one buffer (no streaming): the content is built once, only if needed.
  let content: Buffer | undefined;
  for (let i = 0; i < secrets.length; i++) {
    const key = secrets[i];
    let entry: string;
    if (Buffer.isBuffer(key)) {
      // Two updates instead of one concatenation: a large payload is never copied for HMAC.
      entry = `v1,${createHmac('sha256', key).update(prefix).update(payload).digest('base64')}`;
    } else {
      content ??= Buffer.concat([Buffer.from(prefix), Buffer.from(payload)]);
      entry = `v1a,${sign(null, content, key).toString('base64')}`;
    }
    signature += i === 0 ? entry : ` ${entry}`;
  }
  return {
    'webhook-id': msgId,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signature,
  };
};

export type VerifyResult =
  | { readonly ok: true; readonly matchedIndex: number }
  | {
      readonly ok: false;
      readonly reason:
        'missing_headers' | 'stale_timestamp' | 'future_timestamp' | 'no_matching_signature';
    };

export interface VerifyInput {
  /** Request headers, any case (a Node `IncomingHttpHeaders` fits). */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  readonly payload: string | Buffer;
  /** `whsec_` secrets or decoded key bytes; `matchedIndex` points into this list. */
  readonly secrets: readonly (string | Buffer)[];
  /** Unix time in seconds. */
  readonly now: number;
  readonly toleranceSeconds?: number;
}

const DEFAULT_TOLERANCE_SECONDS = SIGNATURE_TOLERANCE_SECONDS;
const DIGEST_BYTES = 32;

const header = (headers: VerifyInput['headers'], name: string): string | undefined => {
  let value = headers[name];
  if (value === undefined) {
    const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === name);
    value = key === undefined ? undefined : headers[key];
  }
  return typeof value === 'string' ? value : value?.[0];
};

/**
 * What a receiver does: checks the timestamp window (replay protection), then accepts if
 * any `v1` signature in the header matches any of `secrets`. Unknown versions are skipped so
 * future schemes can be sent alongside v1. Comparison is constant-time.
 */
export const verifySignature = ({
  headers,
  payload,
  secrets,
  now,
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
}: VerifyInput): VerifyResult => {
  const msgId = header(headers, 'webhook-id');
  const timestampText = header(headers, 'webhook-timestamp');
  const signatureText = header(headers, 'webhook-signature');
  // A malformed timestamp is as good as none: nothing can be checked against it.
  if (!msgId || !signatureText || !timestampText || !/^\d{1,15}$/.test(timestampText))
    return { ok: false, reason: 'missing_headers' };
  const timestamp = Number(timestampText);
  if (now - timestamp > toleranceSeconds) return { ok: false, reason: 'stale_timestamp' };
  if (timestamp - now > toleranceSeconds) return { ok: false, reason: 'future_timestamp' };

  const offered: Buffer[] = [];
  for (const entry of signatureText.split(' ')) {
    const comma = entry.indexOf(',');
    if (comma < 0 || entry.slice(0, comma) !== 'v1') continue;
    const bytes = Buffer.from(entry.slice(comma + 1), 'base64');
    // timingSafeEqual needs equal lengths; a wrong length cannot match anyway.
    if (bytes.length === DIGEST_BYTES) offered.push(bytes);
  }
  if (offered.length === 0) return { ok: false, reason: 'no_matching_signature' };

  const prefix = `${msgId}.${timestamp}.`;
  for (let i = 0; i < secrets.length; i++) {
    const secret = secrets[i];
    const key = typeof secret === 'string' ? secretBytes(secret) : secret;
    const expected = createHmac('sha256', key).update(prefix).update(payload).digest();
    if (offered.some((candidate) => timingSafeEqual(candidate, expected)))
      return { ok: true, matchedIndex: i };
  }
  return { ok: false, reason: 'no_matching_signature' };
};
