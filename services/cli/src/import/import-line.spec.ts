import { randomBytes } from 'node:crypto';
import { endpointIdForExternalId } from '@rotor/crypto';
import { parseImportLine } from './import-line';

const secret = `whsec_${randomBytes(32).toString('base64')}`;
const good = { tenant: 'acme', url: 'https://hooks.example/1', secret };

describe('an import line', () => {
  it('given a line with an external id, when parsed, then it lands where the API puts that external id', () => {
    const parsed = parseImportLine(JSON.stringify({ ...good, external_id: 'cust 1' }));
    expect(parsed).toEqual({
      line: {
        tenant: 'acme',
        url: good.url,
        secret,
        externalId: 'cust 1',
        endpointId: endpointIdForExternalId('acme', 'cust 1'),
      },
    });
  });

  it('given the same line twice, when parsed, then both land on the same endpoint; another secret elsewhere', () => {
    const id = (line: object) => {
      const parsed = parseImportLine(JSON.stringify(line));
      return 'line' in parsed ? parsed.line.endpointId : parsed.refused;
    };
    expect(id(good)).toMatch(/^we_[0-9a-f]{32}$/);
    expect(id(good)).toBe(id({ ...good }));
    expect(id({ ...good, secret: `whsec_${randomBytes(32).toString('base64')}` })).not.toBe(
      id(good),
    );
  });

  it.each([
    ['broken JSON quoting the secret', `{"secret":"${secret}"`, 'not a JSON object'],
    ['an array', `["${secret}"]`, 'not a JSON object'],
    ['an unknown field', JSON.stringify({ ...good, extra: 1 }), /^unknown field\(s\): "extra"$/],
    ['a bad tenant', JSON.stringify({ ...good, tenant: 'Acme' }), /^tenant must be/],
    ['a bad url', JSON.stringify({ ...good, url: 'ftp://x' }), /^url must be/],
    ['no secret', JSON.stringify({ tenant: 'acme', url: good.url }), 'secret is missing'],
    ['a secret without prefix', JSON.stringify({ ...good, secret: secret.slice(6) }), /whsec_/],
    [
      'a long external id',
      JSON.stringify({ ...good, external_id: 'x'.repeat(129) }),
      /^external_id/,
    ],
    ['a numeric description', JSON.stringify({ ...good, description: 1 }), /^description/],
  ])('given %s, when parsed, then it is refused without quoting the secret', (_what, text, why) => {
    const parsed = parseImportLine(text);
    expect(parsed).toEqual({ refused: expect.stringMatching(why) });
    expect(JSON.stringify(parsed)).not.toContain(secret.slice(6, 20));
  });
});
