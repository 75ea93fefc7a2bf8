import { createHash } from 'node:crypto';
import { endpointIdForExternalId, fingerprintOf } from '@rotor/crypto';
import { isExternalId, isTenantId, suppliedSecretProblem } from '@rotor/domain';

/**
 * One line of an import file (JSON Lines): an endpoint the platform already has, with the
 * secret its receiver verifies with. Checked here, before anything is written, by the same
 * rules as the API; a refusal says why without ever quoting the line (it holds a secret).
 */
export interface ImportLine {
  readonly tenant: string;
  readonly url: string;
  readonly secret: string;
  readonly externalId?: string;
  readonly description?: string;
  /** Where it lands: the same for the same line on every run (see `importEndpointId`). */
  readonly endpointId: string;
}

const FIELDS = new Set(['tenant', 'url', 'secret', 'external_id', 'description']);
const MAX_URL_BYTES = 2048;
const MAX_DESCRIPTION_BYTES = 1024;

export type ParsedLine = { readonly line: ImportLine } | { readonly refused: string };

const isHttpUrl = (value: string): boolean => {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname !== '';
  } catch {
    return false;
  }
};

export const parseImportLine = (text: string): ParsedLine => {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // Not the parser's message: it quotes the text around the mistake, secret included.
    return { refused: 'not a JSON object' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { refused: 'not a JSON object' };
  const fields = value as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((name) => !FIELDS.has(name));
  if (unknown.length > 0)
    return {
      refused: `unknown field(s): ${unknown.map((n) => JSON.stringify(n.slice(0, 40))).join(', ')}`,
    };
  const { tenant, url, secret, external_id: externalId, description } = fields;
  if (!isTenantId(tenant))
    return { refused: 'tenant must be a tenant id (1 to 64 of a-z 0-9 _ -)' };
  if (typeof url !== 'string' || Buffer.byteLength(url) > MAX_URL_BYTES || !isHttpUrl(url))
    return { refused: 'url must be an absolute http or https URL of at most 2048 bytes' };
  if (secret === undefined) return { refused: 'secret is missing' };
  const problem = suppliedSecretProblem(secret);
  if (problem) return { refused: problem };
  if (externalId !== undefined && !isExternalId(externalId))
    return { refused: 'external_id must be 1 to 128 printable ASCII characters' };
  if (
    description !== undefined &&
    (typeof description !== 'string' || Buffer.byteLength(description) > MAX_DESCRIPTION_BYTES)
  )
    return { refused: 'description must be a string of at most 1024 bytes' };
  const checked = {
    tenant,
    url,
    secret: secret as string,
    ...(externalId === undefined ? {} : { externalId: externalId as string }),
    ...(description === undefined ? {} : { description: description as string }),
  };
  return { line: { ...checked, endpointId: importEndpointId(checked) } };
};

/**
 * The endpoint a line lands on, the same on every run, so a rerun (after a crash, or twice
 * on purpose) finds what the first run wrote and imports nothing twice: with an external id,
 * the id every registration of (tenant, external id) gets (`endpointIdForExternalId`, as
 * over the API); without one, a digest of (tenant, url, the secret's fingerprint). The
 * fingerprint is what the endpoint already publishes of its secret, nothing more.
 */
export const importEndpointId = (line: {
  tenant: string;
  url: string;
  secret: string;
  externalId?: string;
}): string =>
  line.externalId !== undefined
    ? endpointIdForExternalId(line.tenant, line.externalId)
    : `we_${createHash('sha256')
        .update(
          JSON.stringify([
            'rotor/endpoint-id/import/v1',
            line.tenant,
            line.url,
            fingerprintOf(line.secret),
          ]),
          'utf8',
        )
        .digest('hex')
        .slice(0, 32)}`;
