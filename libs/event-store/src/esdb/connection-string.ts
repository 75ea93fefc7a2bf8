/**
 * Makes an EventStoreDB connection string safe to use (pure, so it is unit-tested without
 * a server). The client has two ways to hang forever, both closed here:
 * - without credentials, its first call can wait for ever on a server that accepts the
 *   TCP connection but never answers (it first asks for the server's capabilities);
 * - without `defaultDeadline`, a unary call has no gRPC deadline.
 * Missing credentials become the server's documented defaults (`admin:changeit`, which the
 * docker-compose server keeps); pass real ones in production.
 */
export interface EsdbConnectionDefaults {
  readonly username: string;
  readonly password: string;
  /** gRPC deadline of each call, in milliseconds. */
  readonly deadlineMs: number;
}

export const DEFAULT_ESDB_CREDENTIALS = { username: 'admin', password: 'changeit' } as const;

const CONNECTION_STRING = /^(esdb(?:\+discover)?:\/\/)(?:([^@/?]*)@)?([^/?]+)\/?(?:\?(.*))?$/i;

export function normalizeConnectionString(
  connectionString: string,
  defaults: EsdbConnectionDefaults,
): string {
  const match = CONNECTION_STRING.exec(connectionString.trim());
  if (!match)
    throw new RangeError(
      'an EventStoreDB connection string looks like esdb://user:password@host:2113?tls=false',
    );
  const [, scheme, userInfo, hosts, query = ''] = match;
  if (userInfo && !userInfo.includes(':'))
    throw new RangeError('EventStoreDB credentials in a connection string are user:password');
  const credentials =
    userInfo || `${encodeURIComponent(defaults.username)}:${encodeURIComponent(defaults.password)}`;
  const params = query.split('&').filter((param) => param.length > 0);
  const has = (name: string) =>
    params.some((param) => param.split('=')[0].toLowerCase() === name.toLowerCase());
  if (!has('defaultDeadline')) params.push(`defaultDeadline=${defaults.deadlineMs}`);
  return `${scheme}${credentials}@${hosts}?${params.join('&')}`;
}
