import { isApiKeyId, isScope, SCOPES, type ApiKeyRecord, type Scope } from '@rotor/access';
import { isTenantId } from '@rotor/domain';
import { usageError } from '../cli-error';

/** `--scopes a,b`: every one must be a known scope (exit 2 otherwise). */
export const parseScopes = (text: string): Scope[] => {
  const scopes = text
    .split(',')
    .map((scope) => scope.trim())
    .filter((scope) => scope.length > 0);
  if (scopes.length === 0) throw usageError(`--scopes: at least one of ${SCOPES.join(', ')}`);
  const unknown = scopes.filter((scope) => !isScope(scope));
  if (unknown.length > 0)
    throw usageError(
      `--scopes: unknown scope(s) ${unknown.join(', ')}; known: ${SCOPES.join(', ')}`,
    );
  return [...new Set(scopes as Scope[])];
};

export const checkTenant = (tenant: string): string => {
  if (!isTenantId(tenant))
    throw usageError(
      `--tenant: 1 to 64 of a-z 0-9 _ -, starting with a letter or digit (got "${tenant}")`,
    );
  return tenant;
};

export const checkApiKeyId = (id: string): string => {
  if (!isApiKeyId(id)) throw usageError(`not an API key id (ak_ + 16 hex): ${id}`);
  return id;
};

/** A key as the CLI shows it: what it is, never its hash. snake_case, like the REST API. */
export interface ListedApiKey {
  readonly id: string;
  readonly tenant_id: string;
  readonly scopes: readonly string[];
  readonly name: string;
  readonly created_at: string;
  readonly revoked_at: string | null;
}

export const toListedApiKey = (record: ApiKeyRecord): ListedApiKey => ({
  id: record.id,
  tenant_id: record.tenantId,
  scopes: [...record.scopes],
  name: record.name,
  created_at: record.createdAt,
  revoked_at: record.revokedAt ?? null,
});

const HEADERS = ['ID', 'TENANT', 'SCOPES', 'NAME', 'CREATED', 'REVOKED'];

/** An aligned table, one key per line. */
export const formatApiKeyTable = (keys: readonly ListedApiKey[]): string[] => {
  if (keys.length === 0) return ['no API keys'];
  const rows = keys.map((key) => [
    key.id,
    key.tenant_id,
    key.scopes.join(','),
    key.name,
    key.created_at,
    key.revoked_at ?? '-',
  ]);
  const widths = HEADERS.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => row[column].length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column])))
      .join('  ');
  return [line(HEADERS), ...rows.map(line)];
};
