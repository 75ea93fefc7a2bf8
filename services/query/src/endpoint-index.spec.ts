import type { EndpointView } from '@rotor/projections';
import { EndpointIndex } from './endpoint-index';

const view = (
  n: number,
  tenantId = 'acme',
  overrides: Partial<EndpointView> = {},
): EndpointView => ({
  id: `we_${String(n).padStart(32, '0')}`,
  tenantId,
  status: 'active',
  createdAt: `2026-01-01T00:00:${String(n).padStart(2, '0')}.000Z`,
  updatedAt: `2026-01-01T00:00:${String(n).padStart(2, '0')}.000Z`,
  keys: [],
  version: 0,
  ...overrides,
});
const NOW = new Date('2026-06-01T00:00:00.000Z');

describe('the query index', () => {
  it('pages a tenant newest first with a cursor, never skipping or repeating', () => {
    const index = new EndpointIndex();
    for (let n = 1; n <= 7; n++) index.update(view(n).id, view(n));
    index.update(view(8, 'other').id, view(8, 'other'));
    const first = index.list('acme', { limit: 3 }, NOW);
    if (first === 'bad_cursor') throw new Error('unexpected');
    // An endpoint added between pages (newer than all) does not shift the next page.
    index.update(view(9).id, view(9));
    const second = index.list('acme', { limit: 3, cursor: first.nextCursor }, NOW);
    const third =
      second !== 'bad_cursor'
        ? index.list('acme', { limit: 3, cursor: second.nextCursor }, NOW)
        : second;
    const ids = [first, second, third].flatMap((p) =>
      p === 'bad_cursor' ? [] : p.data.map((v) => Number(v.id.slice(-2))),
    );
    expect(ids).toEqual([7, 6, 5, 4, 3, 2, 1]);
    expect(third === 'bad_cursor' ? 'bad_cursor' : third.nextCursor).toBeUndefined();
  });

  it('hides another tenant, deleted endpoints, and refuses a forged cursor', () => {
    const index = new EndpointIndex();
    index.update(view(1).id, view(1));
    index.update(view(2).id, view(2, 'acme', { status: 'deleted' }));
    expect(index.get('other', view(1).id, NOW)).toBeUndefined();
    expect(index.get('acme', view(2).id, NOW)).toBeUndefined();
    expect(index.list('acme', { cursor: 'not-a-cursor' }, NOW)).toBe('bad_cursor');
  });

  it('ignores an older version of a view arriving late', () => {
    const index = new EndpointIndex();
    index.update(view(1).id, view(1, 'acme', { version: 3, url: 'https://new.test' }));
    index.update(view(1).id, view(1, 'acme', { version: 2, url: 'https://old.test' }));
    expect(index.get('acme', view(1).id, NOW)?.url).toBe('https://new.test');
  });

  it("given endpoints of two tenants with external ids, when searched by one, then only that tenant's endpoint with it is listed", () => {
    const index = new EndpointIndex();
    index.update(view(1).id, view(1, 'acme', { externalId: 'cust 42' }));
    index.update(view(2).id, view(2, 'acme', { externalId: 'cust 43' }));
    index.update(view(3).id, view(3, 'other', { externalId: 'cust 42' }));
    index.update(view(4).id, view(4));

    const found = index.list('acme', { externalId: 'cust 42' }, NOW);

    expect(found === 'bad_cursor' ? found : found.data.map((v) => v.id)).toEqual([view(1).id]);
  });
});
