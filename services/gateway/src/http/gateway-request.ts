import type { Scope } from '@rotor/access';

/** Who is calling: set by the API key guard. */
export interface Caller {
  /** The API key's id: the `actor` of every command the request sends. */
  readonly apiKeyId: string;
  readonly tenantId: string;
  readonly scopes: readonly Scope[];
}

/** What the gateway's middleware and guards add to Express's request. */
export interface GatewayRequest {
  requestId?: string;
  caller?: Caller;
}
