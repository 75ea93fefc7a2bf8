import { createPublicKey, verify } from 'node:crypto';

/**
 * A receiver that knows nothing of Rotor: the `whpk_` key's 32 raw bytes wrapped in the
 * fixed SPKI header of RFC 8410, and node:crypto's Ed25519 verify over
 * `<msg id>.<timestamp>.<payload>`. True when some `v1a` entry verifies.
 */
export const v1aVerifies = (
  publicKey: string,
  headers: Readonly<Record<string, string>>,
  body: string,
): boolean => {
  const raw = Buffer.from(publicKey.slice('whpk_'.length), 'base64');
  const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), raw]);
  const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  const content = Buffer.from(
    `${headers['webhook-id']}.${headers['webhook-timestamp']}.${body}`,
    'utf8',
  );
  return headers['webhook-signature']
    .split(' ')
    .filter((entry) => entry.startsWith('v1a,'))
    .some((entry) => verify(null, content, key, Buffer.from(entry.slice(4), 'base64')));
};
