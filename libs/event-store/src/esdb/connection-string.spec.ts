import { normalizeConnectionString } from './connection-string';

const defaults = { username: 'admin', password: 'changeit', deadlineMs: 5000 };

describe('normalizeConnectionString', () => {
  it('adds the default credentials and a deadline when the string has neither', () => {
    expect(normalizeConnectionString('esdb://localhost:2113?tls=false', defaults)).toBe(
      'esdb://admin:changeit@localhost:2113?tls=false&defaultDeadline=5000',
    );
  });

  it('keeps the credentials and deadline it is given', () => {
    expect(
      normalizeConnectionString(
        'esdb://ops:s3cr%40t@localhost:2113/?tls=false&defaultDeadline=2000',
        defaults,
      ),
    ).toBe('esdb://ops:s3cr%40t@localhost:2113?tls=false&defaultDeadline=2000');
  });

  it('handles clusters, discovery and a string without parameters', () => {
    expect(normalizeConnectionString('esdb+discover://a:2113,b:2113', defaults)).toBe(
      'esdb+discover://admin:changeit@a:2113,b:2113?defaultDeadline=5000',
    );
  });

  it('escapes default credentials', () => {
    expect(
      normalizeConnectionString('esdb://db:2113', { ...defaults, password: 'p@ss:word' }),
    ).toBe('esdb://admin:p%40ss%3Aword@db:2113?defaultDeadline=5000');
  });

  it.each(['http://localhost:2113', 'esdb://', 'esdb://justauser@localhost:2113'])(
    'refuses %s',
    (connectionString) => {
      expect(() => normalizeConnectionString(connectionString, defaults)).toThrow(RangeError);
    },
  );
});
