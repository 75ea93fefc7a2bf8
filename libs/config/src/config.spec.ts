import { ConfigError, loadConfig } from './config';

describe('configuration', () => {
  it('given no variables, then the defaults describe a single-host setup', () => {
    expect(loadConfig({})).toMatchObject({
      natsUrl: 'nats://127.0.0.1:4222',
      eventStore: 'sqlite',
      sqlitePath: 'data/rotor.sqlite',
      sqliteThread: 'worker',
      port: 3000,
      logLevel: 'info',
    });
  });

  it('given SQLITE_PATH, then it wins over the data dir', () => {
    expect(loadConfig({ SQLITE_PATH: '/tmp/x.db', ROTOR_DATA_DIR: '/var/rotor' }).sqlitePath).toBe(
      '/tmp/x.db',
    );
  });

  it('given SQLITE_THREAD, then it is worker or main, nothing else', () => {
    expect(loadConfig({ SQLITE_THREAD: 'main' }).sqliteThread).toBe('main');
    expect(() => loadConfig({ SQLITE_THREAD: 'both' })).toThrow(
      /SQLITE_THREAD must be one of worker, main/,
    );
  });

  it('given several bad values, then one error names every problem', () => {
    const attempt = () =>
      loadConfig({
        EVENT_STORE: 'postgres',
        PORT: '70000',
        LOG_LEVEL: 'loud',
        NATS_URL: 'localhost',
      });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      expect((error as ConfigError).problems).toHaveLength(4);
      expect((error as Error).message).toContain('EVENT_STORE must be one of sqlite, esdb');
    }
  });

  it('given EVENT_STORE=esdb without a connection string, then it refuses to start', () => {
    expect(() => loadConfig({ EVENT_STORE: 'esdb' })).toThrow(/ESDB_CONNECTION_STRING is required/);
    expect(
      loadConfig({
        EVENT_STORE: 'esdb',
        ESDB_CONNECTION_STRING: 'esdb://admin:changeit@localhost:2113?tls=false',
      }).eventStore,
    ).toBe('esdb');
  });
});
