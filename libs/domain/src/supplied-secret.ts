/**
 * A secret the caller brings (import): the one rule, shared by the REST edge, the wire
 * contract (`supplied_secret` format) and the command service (DESIGN §1: "a supplied one
 * must be 24-64 bytes"). Every message names the field, never its value: a refused secret
 * is still somebody's secret.
 */
export const SUPPLIED_SECRET_PREFIX = 'whsec_';
export const MIN_SUPPLIED_SECRET_BYTES = 24;
export const MAX_SUPPLIED_SECRET_BYTES = 64;

// Canonical base64 (what `Buffer.toString('base64')` writes): a stray character would
// otherwise be skipped by decoders and the receiver's key would differ from Rotor's.
const CANONICAL_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Why `value` cannot be a supplied `whsec_` secret, or undefined when it can. */
export const suppliedSecretProblem = (value: unknown): string | undefined => {
  if (typeof value !== 'string') return 'secret must be a string';
  if (!value.startsWith(SUPPLIED_SECRET_PREFIX))
    return `secret must start with ${SUPPLIED_SECRET_PREFIX}`;
  const body = value.slice(SUPPLIED_SECRET_PREFIX.length);
  if (body.length === 0 || !CANONICAL_BASE64.test(body))
    return `secret must be ${SUPPLIED_SECRET_PREFIX} followed by canonical base64`;
  const padding = body.endsWith('==') ? 2 : body.endsWith('=') ? 1 : 0;
  const bytes = (body.length / 4) * 3 - padding;
  if (bytes < MIN_SUPPLIED_SECRET_BYTES || bytes > MAX_SUPPLIED_SECRET_BYTES)
    return (
      `secret must hold ${MIN_SUPPLIED_SECRET_BYTES} to ${MAX_SUPPLIED_SECRET_BYTES} bytes ` +
      `of key material, not ${bytes}`
    );
  return undefined;
};

export const isSuppliedSecret = (value: unknown): value is string =>
  suppliedSecretProblem(value) === undefined;

/**
 * The platform's own id for an endpoint, kept beside Rotor's `we_` id and searchable:
 * 1 to 128 printable ASCII characters.
 */
export const EXTERNAL_ID_PATTERN = /^[\x20-\x7e]{1,128}$/;

export const isExternalId = (value: unknown): value is string =>
  typeof value === 'string' && EXTERNAL_ID_PATTERN.test(value);
