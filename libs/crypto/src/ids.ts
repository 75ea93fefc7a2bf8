import { createHash, randomBytes } from 'node:crypto';

/**
 * Identifier generation (DESIGN §1). The domain only knows the shapes (`ENDPOINT_ID_PATTERN`,
 * `KEY_ID_PATTERN`); making ids needs randomness and a clock, so it lives here at the edge.
 */

export const newEndpointId = (): string => `we_${randomBytes(16).toString('hex')}`;

/**
 * The endpoint id of a registration that carries an idempotency key: the same for every
 * retry of it, so a retry lands on the same stream and the append's revision check makes
 * it execute once. 128 bits of SHA-256 over an unambiguous encoding (a JSON array: no
 * choice of tenant, actor and key collides with another), versioned by its label.
 */
export const endpointIdForIdempotencyKey = (
  tenantId: string,
  actor: string,
  idempotencyKey: string,
): string =>
  `we_${createHash('sha256')
    .update(JSON.stringify(['rotor/endpoint-id/v1', tenantId, actor, idempotencyKey]), 'utf8')
    .digest('hex')
    .slice(0, 32)}`;

/**
 * The endpoint id of a registration that names the platform's own id (`externalId`) and no
 * `we_` id: the same for every registration of that (tenant, external id), so an import
 * run twice, or a retry without an idempotency key, lands on the same stream and the
 * append's no-stream check refuses the second (409 endpoint_already_exists). An external id
 * therefore names one endpoint per tenant.
 */
export const endpointIdForExternalId = (tenantId: string, externalId: string): string =>
  `we_${createHash('sha256')
    .update(JSON.stringify(['rotor/endpoint-id/external/v1', tenantId, externalId]), 'utf8')
    .digest('hex')
    .slice(0, 32)}`;

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const MAX_TIME = 2 ** 48 - 1;
// The 80 random bits are kept as two 40-bit halves: plain numbers stay exact up to 2^53, so
// the monotonic increment needs no BigInt.
const HALF = 2 ** 40;

const encode = (value: number, length: number): string => {
  let out = '';
  for (let i = 0; i < length; i++) {
    out = CROCKFORD[value % 32] + out;
    value = Math.floor(value / 32);
  }
  return out;
};

export type UlidGenerator = (now?: number) => string;

/**
 * A ULID generator (https://github.com/ulid/spec): 48-bit milliseconds + 80 random bits,
 * Crockford base32. Monotonic: within one millisecond (or if the clock steps back) the
 * random part is incremented instead of redrawn, so ids from one generator sort in creation
 * order. Each generator has its own state; tests make their own to stay independent.
 */
export const ulidGenerator = (random: (size: number) => Buffer = randomBytes): UlidGenerator => {
  let lastTime = -1;
  let high = 0;
  let low = 0;
  return (now = Date.now()) => {
    if (!Number.isInteger(now) || now < 0 || now > MAX_TIME)
      throw new RangeError(`ULID time must be an integer of milliseconds in 0..2^48-1`);
    if (now > lastTime) {
      const bytes = random(10);
      high = bytes.readUIntBE(0, 5);
      low = bytes.readUIntBE(5, 5);
      lastTime = now;
    } else if (++low === HALF) {
      low = 0;
      if (++high === HALF) throw new Error('ULID random part overflowed within one millisecond');
    }
    return encode(lastTime, 10) + encode(high, 8) + encode(low, 8);
  };
};

/** The milliseconds a ULID was made at. */
export const ulidTime = (ulid: string): number => {
  let time = 0;
  for (const char of ulid.slice(0, 10)) {
    const digit = CROCKFORD.indexOf(char);
    if (digit < 0) throw new RangeError('not a ULID');
    time = time * 32 + digit;
  }
  return time;
};

const processUlid = ulidGenerator();

/** `key_` + a ULID: key ids sort by creation time, which is how key lists are ordered. */
export const newKeyId = (now?: number): string => `key_${processUlid(now)}`;
