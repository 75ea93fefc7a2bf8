import { effectiveKeyStatus, type EndpointView, type KeyView } from '@rotor/projections';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/**
 * The query service's in-memory index of endpoint views, fed by the projector's bucket.
 * Lists are per tenant, newest first, with an opaque cursor (the last item's sort key), so
 * a page boundary never skips or repeats an endpoint when others are added meanwhile.
 */
export class EndpointIndex {
  private readonly byId = new Map<string, EndpointView>();
  private readonly byTenant = new Map<string, Set<string>>();

  update(endpointId: string, view: EndpointView | undefined): void {
    const existing = this.byId.get(endpointId);
    if (existing && view && existing.version > view.version) return;
    if (existing) this.byTenant.get(existing.tenantId)?.delete(endpointId);
    if (!view) {
      this.byId.delete(endpointId);
      return;
    }
    this.byId.set(endpointId, view);
    if (!this.byTenant.has(view.tenantId)) this.byTenant.set(view.tenantId, new Set());
    this.byTenant.get(view.tenantId)!.add(endpointId);
  }

  /** A tenant's live endpoint, as of `now`; undefined for unknown, deleted or another tenant's. */
  get(tenantId: string, endpointId: string, now: Date): EndpointView | undefined {
    const view = this.byId.get(endpointId);
    if (!view || view.tenantId !== tenantId || view.status === 'deleted') return undefined;
    return withEffectiveStatuses(view, now);
  }

  /**
   * Any tenant's endpoint, by its id alone: only for what is public by nature (its public
   * keys), never for the endpoint itself.
   */
  byEndpointId(endpointId: string): EndpointView | undefined {
    return this.byId.get(endpointId);
  }

  list(
    tenantId: string,
    options: { limit?: number; cursor?: string; externalId?: string },
    now: Date,
  ): { data: EndpointView[]; nextCursor?: string } | 'bad_cursor' {
    const limit = Math.min(Math.max(options.limit ?? DEFAULT_PAGE_SIZE, 1), MAX_PAGE_SIZE);
    const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
    if (after === null) return 'bad_cursor';
    const ids = this.byTenant.get(tenantId) ?? new Set<string>();
    const sorted = [...ids]
      .map((id) => this.byId.get(id)!)
      .filter(
        (v) =>
          v.status === 'active' &&
          (options.externalId === undefined || v.externalId === options.externalId),
      )
      .sort(newestFirst);
    const start = after === undefined ? 0 : sorted.findIndex((v) => newestFirst(v, after) > 0);
    const page = start < 0 ? [] : sorted.slice(start, start + limit);
    const more = start >= 0 && start + limit < sorted.length;
    return {
      data: page.map((v) => withEffectiveStatuses(v, now)),
      ...(more ? { nextCursor: encodeCursor(page[page.length - 1]) } : {}),
    };
  }
}

type SortKey = Pick<EndpointView, 'createdAt' | 'id'>;

const newestFirst = (a: SortKey, b: SortKey): number =>
  a.createdAt === b.createdAt
    ? a.id < b.id
      ? -1
      : a.id > b.id
        ? 1
        : 0
    : a.createdAt > b.createdAt
      ? -1
      : 1;

const encodeCursor = (v: SortKey): string =>
  Buffer.from(`${v.createdAt}|${v.id}`).toString('base64url');

/** null: not a cursor this service made. */
const decodeCursor = (cursor: string): SortKey | null => {
  const [createdAt, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (rest.length > 0 || !id || Number.isNaN(Date.parse(createdAt))) return null;
  return { createdAt, id };
};

export const withEffectiveStatuses = (view: EndpointView, now: Date): EndpointView => ({
  ...view,
  keys: view.keys.map((k): KeyView => ({ ...k, status: effectiveKeyStatus(k, now) })),
});
