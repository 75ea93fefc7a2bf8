import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { BUCKETS, SUBJECTS } from '@rotor/contracts';
import { CONFIG_VARIABLES, loadConfig } from '@rotor/config';
import { parseKekRing } from '@rotor/crypto';
import { RUNTIME_NEEDS } from '@rotor/runtime';
import {
  covers,
  isAllowed,
  NatsVariable,
  natsUsers,
  parseNatsConf,
  type NatsUser,
} from './nats-conf';
import {
  callSubject,
  inboxPrefixOf,
  natsOperationsOf,
  passwordVariableOf,
  RETIRED_BUCKETS,
  ROTOR_SERVICES,
  SERVICE_NEEDS,
  type NatsOperation,
  type RotorService,
} from './service-needs';

/**
 * The distributed mode's deployment files, checked without Docker: docker-compose.yml
 * against the configuration schema and the NATS users, deploy/nats/nats.conf against the
 * table of who uses what (service-needs.ts), the Dockerfile against the services that exist.
 */
const ROOT = join(__dirname, '..', '..');
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

type Yaml = Record<string, any>;

/** Compose interpolation with every variable unset: `${VAR:-default}` is its default. */
const interpolate = (value: unknown, where: string): unknown => {
  if (typeof value === 'string')
    return value.replace(
      /\$\$|\$\{([A-Za-z_]\w*)(:?-([^}]*))?\}|\$([A-Za-z_]\w*)/g,
      (match, name, hasDefault, fallback, bare) => {
        if (match === '$$') return '$';
        if (bare !== undefined || hasDefault === undefined)
          throw new Error(`${where}: ${match} has no default (write \${${name ?? bare}:-...})`);
        return fallback;
      },
    );
  if (Array.isArray(value)) return value.map((item, i) => interpolate(item, `${where}[${i}]`));
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, interpolate(item, `${where}.${key}`)]),
    );
  return value;
};

const rawCompose = parse(read('docker-compose.yml'), { merge: true }) as Yaml;
const compose = interpolate(rawCompose, 'docker-compose.yml') as Yaml;
const natsConf = parseNatsConf(read('deploy/nats/nats.conf'));
const users = natsUsers(natsConf);
const userOf = (service: RotorService): NatsUser => {
  const user = users.find((candidate) => candidate.user === service);
  if (!user) throw new Error(`nats.conf has no user ${service}`);
  return user;
};

/** Services whose process opens the event store (the others have no store access at all). */
const STORE_USERS: readonly RotorService[] = ROTOR_SERVICES.filter(
  (service) => RUNTIME_NEEDS[service].eventStore,
);
const KEK_HOLDERS: readonly RotorService[] = ROTOR_SERVICES.filter(
  (service) => RUNTIME_NEEDS[service].kekRing,
);
const entryPoint = (service: string): string => `dist/services/${service}/src/main.js`;

describe('docker-compose.yml', () => {
  it('runs EventStoreDB, NATS and one container per Rotor service', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      ['eventstore', 'nats', ...ROTOR_SERVICES].sort(),
    );
  });

  it('pins the servers to concrete versions', () => {
    expect(compose.services.eventstore.image).toMatch(/^eventstore\/eventstore:\d+\.\d+/);
    expect(compose.services.nats.image).toMatch(/^nats:2\.\d+/);
  });

  it('runs EventStoreDB single-node, insecure for local use, without server projections, health-checked', () => {
    const { environment, healthcheck } = compose.services.eventstore;
    expect(environment).toMatchObject({
      EVENTSTORE_INSECURE: 'true',
      EVENTSTORE_RUN_PROJECTIONS: 'None',
    });
    expect(healthcheck.test.join(' ')).toMatch(/curl .*http:\/\/localhost:2113\/health\/live/);
  });

  it('runs NATS on deploy/nats/nats.conf with a store volume, and gives it every service password', () => {
    const nats = compose.services.nats;
    const mount = (nats.volumes as string[]).find((volume) =>
      volume.startsWith('./deploy/nats/nats.conf:'),
    );
    expect(mount).toBeDefined();
    const target = mount!.split(':')[1];
    expect(nats.command).toEqual(expect.arrayContaining(['--config', target, '--store_dir']));
    expect(nats.healthcheck.test.join(' ')).toContain('/healthz');
    for (const service of ROTOR_SERVICES)
      expect(nats.environment[passwordVariableOf(service)]).toBeTruthy();
  });

  it('serves the REST facade of the gateway on port 3000', () => {
    expect(compose.services.gateway.ports).toEqual(['3000:3000']);
    expect(compose.services.gateway.environment.PORT).toBe('3000');
  });

  it('defaults the KEK ring secret to the example ring, which parses and says it is an example', () => {
    const file = compose.secrets.kek_ring.file as string;
    expect(file).toBe('./deploy/kek-ring.example.json');
    const text = read(file);
    expect(parseKekRing(text).primaryId).toMatch(/example/);
    expect(JSON.parse(text)._comment).toMatch(/EXAMPLE ONLY/);
  });

  describe.each(ROTOR_SERVICES)('service %s', (service) => {
    const definition = (): Yaml => compose.services[service];

    it(`runs ${entryPoint(service)} of the one image, and services/${service}/src/main.ts exists`, () => {
      expect(definition().build).toEqual({ context: '.', dockerfile: 'Dockerfile' });
      expect(definition().image).toBe(compose.services.command.image);
      expect(definition().command).toEqual(['node', entryPoint(service)]);
      expect(existsSync(join(ROOT, 'services', service, 'src', 'main.ts'))).toBe(true);
    });

    it('has an environment that passes the configuration schema, with only known variables', () => {
      const environment = definition().environment as Record<string, string>;
      const config = loadConfig(environment);
      const unknown = Object.keys(environment).filter(
        (name) => !(CONFIG_VARIABLES as readonly string[]).includes(name),
      );
      expect(unknown).toEqual([]);
      if (!STORE_USERS.includes(service)) return;
      expect(config.eventStore).toBe('esdb');
      expect(config.esdbConnectionString).toMatch(
        /^esdb:\/\/[^:@/]+:[^@/]+@eventstore:2113\?tls=false$/,
      );
    });

    it('gets the store credentials only if it opens the store, the KEK ring only if it opens secrets', () => {
      const environment = definition().environment as Record<string, string>;
      const store = ['EVENT_STORE', 'ESDB_CONNECTION_STRING', 'SQLITE_PATH'].filter(
        (name) => name in environment,
      );
      expect(store.length > 0).toBe(RUNTIME_NEEDS[service].eventStore);
      const kek = ['ROTOR_KEK_RING', 'ROTOR_KEK_RING_FILE'].filter((name) => name in environment);
      if (KEK_HOLDERS.includes(service)) {
        expect(loadConfig(environment).kekRing).toEqual({
          text: undefined,
          file: '/run/secrets/kek_ring',
        });
        expect(definition().secrets).toEqual(['kek_ring']);
      } else {
        expect(kek).toEqual([]);
        expect(definition().secrets).toBeUndefined();
      }
    });

    it('connects to NATS as its own user, with the password nats.conf reads for that user', () => {
      const variable = passwordVariableOf(service);
      const rawUrl = rawCompose.services[service].environment.NATS_URL as string;
      expect(rawUrl).toContain(`\${${variable}:-`);
      const url = new URL(compose.services[service].environment.NATS_URL);
      expect(url.host).toBe('nats:4222');
      expect(url.username).toBe(service);
      expect(url.password).toBe(compose.services.nats.environment[variable]);
      // nats-server reads the variable as a bare token; a URL carries it unescaped.
      expect(url.password).toMatch(/^[A-Za-z][\w-]*$/);
      expect(rawCompose.services.nats.environment[variable]).toBe(rawUrl.match(/\$\{[^}]+\}/)![0]);
      expect(userOf(service).password).toEqual(new NatsVariable(variable));
    });

    it('has a health check', () => {
      const test = definition().healthcheck.test as string[];
      const expected =
        service === 'gateway'
          ? ['CMD', 'node', 'deploy/healthcheck.js', 'http', 'http://127.0.0.1:3000/health']
          : ['CMD', 'node', 'deploy/healthcheck.js', 'nats'];
      expect(test).toEqual(expected);
      expect(definition().healthcheck.disable).toBeUndefined();
    });

    it('starts once what it needs is healthy: NATS, the store, the services it calls, the projector it reads', () => {
      const dependsOn = definition().depends_on as Record<string, { condition: string }>;
      for (const [name, dependency] of Object.entries(dependsOn))
        expect([name, dependency.condition]).toEqual([name, 'service_healthy']);
      const needs = SERVICE_NEEDS[service];
      const required = new Set<string>(['nats']);
      if (STORE_USERS.includes(service)) required.add('eventstore');
      for (const subject of needs.calls) required.add(subject.split('.')[1]);
      if (
        service !== 'projector' &&
        Object.keys(needs.buckets).some(
          // Every service writes its own readiness record: not a view of the projector's.
          (b) => b !== BUCKETS.health && SERVICE_NEEDS.projector.buckets[b],
        )
      )
        required.add('projector');
      expect(Object.keys(dependsOn)).toEqual(expect.arrayContaining([...required]));
    });

    it('does not run as root or privileged', () => {
      expect(definition().user).toBeUndefined();
      expect(definition().privileged).toBeUndefined();
    });
  });
});

describe('deploy/nats/nats.conf', () => {
  it('enables JetStream, listens on 4222 with monitoring on 8222, has one user per Rotor service', () => {
    expect(natsConf).toMatchObject({ port: 4222, http: 8222, jetstream: 'enabled' });
    expect(users.map((user) => user.user).sort()).toEqual([...ROTOR_SERVICES].sort());
  });

  it('gives every subject of the contracts one server and every bucket a user (the table is complete)', () => {
    const served = ROTOR_SERVICES.flatMap((service) => SERVICE_NEEDS[service].serves);
    const subjects = Object.values(SUBJECTS).flatMap((group) => Object.values(group));
    expect([...served].sort()).toEqual([...subjects].sort());
    const used = new Set(
      ROTOR_SERVICES.flatMap((service) => Object.keys(SERVICE_NEEDS[service].buckets)),
    );
    for (const bucket of Object.values(BUCKETS).filter(
      (name) => !(RETIRED_BUCKETS as readonly string[]).includes(name),
    ))
      expect([bucket, used.has(bucket)]).toEqual([bucket, true]);
  });

  it('gives every bucket exactly one owner, the only user that may create it', () => {
    const buckets = new Set(
      ROTOR_SERVICES.flatMap((service) => Object.keys(SERVICE_NEEDS[service].buckets)),
    );
    for (const bucket of buckets) {
      const owners = ROTOR_SERVICES.filter(
        (service) => SERVICE_NEEDS[service].buckets[bucket] === 'own',
      );
      expect([bucket, owners.length]).toEqual([bucket, 1]);
      const creators = ROTOR_SERVICES.filter((service) =>
        isAllowed(userOf(service), 'publish', `$JS.API.STREAM.CREATE.KV_${bucket}`),
      );
      expect([bucket, creators]).toEqual([bucket, owners]);
    }
  });

  const key = (operation: NatsOperation): string => `${operation.kind} ${operation.subject}`;

  describe.each(ROTOR_SERVICES)('user %s', (service) => {
    it('is allowed every subject the service uses', () => {
      const refused = natsOperationsOf(service)
        .filter((operation) => !isAllowed(userOf(service), operation.kind, operation.subject))
        .map((operation) => `${key(operation)} (${operation.why})`);
      expect(refused).toEqual([]);
    });

    it('is denied what only the other services need', () => {
      const own = new Set(natsOperationsOf(service).map(key));
      const allowed = ROTOR_SERVICES.filter((other) => other !== service)
        .flatMap((other) => natsOperationsOf(other).map((operation) => ({ other, operation })))
        .filter(({ operation }) => !own.has(key(operation)))
        .filter(({ operation }) => isAllowed(userOf(service), operation.kind, operation.subject))
        .map(({ other, operation }) => `${key(operation)} (${other}: ${operation.why})`);
      expect(allowed).toEqual([]);
    });

    it('answers requests (allow_responses) exactly when it serves subjects', () => {
      expect(userOf(service).allowResponses).toBe(SERVICE_NEEDS[service].serves.length > 0);
    });

    it('cannot delete or purge a bucket, nor call the JetStream API at large', () => {
      for (const bucket of [...Object.values(BUCKETS), 'rotor_projector', 'rotor_api_keys'])
        for (const verb of ['DELETE', 'PURGE'])
          expect(isAllowed(userOf(service), 'publish', `$JS.API.STREAM.${verb}.KV_${bucket}`)).toBe(
            false,
          );
      expect(isAllowed(userOf(service), 'publish', '$JS.API.>')).toBe(false);
      expect(isAllowed(userOf(service), 'subscribe', '>')).toBe(false);
    });

    it('can update no stream, create none it does not own, and write neither the API keys nor the key ring unless it owns them', () => {
      const user = userOf(service);
      for (const stream of ['KV_rotor_key_ring', 'KV_rotor_api_keys', 'KV_rotor_endpoints', 'KV_x'])
        expect([stream, isAllowed(user, 'publish', `$JS.API.STREAM.UPDATE.${stream}`)]).toEqual([
          stream,
          false,
        ]);
      expect(isAllowed(user, 'publish', '$JS.API.STREAM.CREATE.KV_copy')).toBe(false);
      const owns = (bucket: string) => SERVICE_NEEDS[service].buckets[bucket] === 'own';
      for (const bucket of ['rotor_api_keys', 'rotor_key_ring'])
        expect([bucket, isAllowed(user, 'publish', `$KV.${bucket}.k`)]).toEqual([
          bucket,
          owns(bucket),
        ]);
    });

    it('subscribes only below its own inbox prefix, and to no reply inbox of another', () => {
      const user = userOf(service);
      expect(isAllowed(user, 'subscribe', '_INBOX.>')).toBe(false);
      expect(isAllowed(user, 'subscribe', '_INBOX.abc.*')).toBe(false);
      for (const other of ROTOR_SERVICES.filter((candidate) => candidate !== service))
        expect([other, isAllowed(user, 'subscribe', `${inboxPrefixOf(other)}.abc.*`)]).toEqual([
          other,
          false,
        ]);
    });

    it('publishes a request only under its own caller suffix, never bare', () => {
      const user = userOf(service);
      for (const subject of Object.values(SUBJECTS).flatMap((group) => Object.values(group))) {
        expect([subject, isAllowed(user, 'publish', subject)]).toEqual([subject, false]);
        for (const other of ROTOR_SERVICES.filter((candidate) => candidate !== service))
          expect([subject, other, isAllowed(user, 'publish', callSubject(subject, other))]).toEqual(
            [subject, other, false],
          );
      }
    });

    it('keeps no right to a retired bucket', () => {
      for (const bucket of RETIRED_BUCKETS)
        for (const subject of [`$KV.${bucket}.k`, `$JS.API.STREAM.INFO.KV_${bucket}`])
          expect([subject, isAllowed(userOf(service), 'publish', subject)]).toEqual([
            subject,
            false,
          ]);
    });
  });

  it.each([
    ['signer', 'publish', `${SUBJECTS.command.rotateSecret}.signer`],
    ['signer', 'subscribe', `${SUBJECTS.command.rotateSecret}.*`],
    ['query', 'publish', '$KV.rotor_endpoints.we_1'],
    ['expiry', 'publish', `${SUBJECTS.command.rotateSecret}.expiry`],
    ['gateway', 'publish', `${SUBJECTS.command.expirePreviousSecret}.gateway`],
    ['gateway', 'publish', `${SUBJECTS.command.rotateSecret}.expiry`],
    ['gateway', 'publish', '$KV.rotor_api_keys.ak_1'],
    ['gateway', 'publish', '$JS.API.STREAM.UPDATE.KV_rotor_idempotency'],
    ['command', 'publish', `${SUBJECTS.signer.sign}.command`],
    ['projector', 'publish', `${SUBJECTS.command.registerEndpoint}.projector`],
    ['query', 'subscribe', '_INBOX_gateway.>'],
    ['signer', 'subscribe', '_INBOX.>'],
  ] as const)('denies %s to %s %s', (service, kind, subject) => {
    expect(isAllowed(userOf(service), kind, subject)).toBe(false);
  });
});

describe('NATS subject matching (as the server applies permissions)', () => {
  it.each([
    ['rotor.command.>', 'rotor.command.rotate-secret', true],
    ['rotor.command.>', 'rotor.command', false],
    ['rotor.query.*', 'rotor.query.get-endpoint', true],
    ['rotor.query.*', 'rotor.query.get-endpoint.x', false],
    ['_INBOX.>', '_INBOX.abc.*', true],
    ['_INBOX.*', '_INBOX.abc.*', false],
    ['rotor.signer.sign', 'rotor.signer.*', false],
    ['$JS.API.DIRECT.GET.KV_b.>', '$JS.API.DIRECT.GET.KV_b', false],
    ['$JS.API.DIRECT.GET.KV_b', '$JS.API.DIRECT.GET.KV_b', true],
  ])('%s covers %s: %s', (pattern, subject, expected) => {
    expect(covers(pattern, subject)).toBe(expected);
  });
});

describe('Dockerfile', () => {
  const instructions = read('Dockerfile')
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('#'));
  const stages = instructions.reduce<string[][]>((all, line) => {
    if (/^FROM\s/i.test(line)) all.push([line]);
    else all.at(-1)?.push(line);
    return all;
  }, []);
  const runtime = stages.at(-1)!;

  it('builds in stages: toolchain (python3, make, g++), build, prod-deps, runtime', () => {
    expect(stages.map((stage) => stage[0].split(/\s+AS\s+/i)[1])).toEqual([
      'toolchain',
      'build',
      'prod-deps',
      'runtime',
    ]);
    expect(stages[0].join('\n')).toMatch(/apt-get install .*python3 make g\+\+/);
    expect(stages[1].join('\n')).toMatch(/RUN npm ci\b/);
    expect(stages[1].join('\n')).toMatch(/npm run build/);
    expect(stages[2].join('\n')).toMatch(/npm ci --omit=dev/);
  });

  it('pins Node 24', () => {
    expect(instructions[0]).toMatch(/^ARG NODE_IMAGE=node:24\.\d+-/);
  });

  it('runs the compiled code with production settings, without compiler or dev dependencies', () => {
    const text = runtime.join('\n');
    expect(text).toMatch(/NODE_ENV=production/);
    expect(text).not.toMatch(/TS_NODE|tsconfig|ts-node/);
    expect(text).toContain('COPY --from=prod-deps /app/node_modules ./node_modules');
    expect(text).toContain('COPY --from=build /app/dist ./dist');
    expect(text).toMatch(/CMD \["node", "dist\/services\/gateway\/src\/main\.js"\]/);
    expect(text).toContain('deploy/healthcheck.js');
    expect(text).not.toMatch(/apt-get|npm (ci|install)/);
  });

  it('runs as a non-root user', () => {
    const user = runtime.filter((line) => /^USER\s/i.test(line)).at(-1);
    expect(user).toBeDefined();
    expect(user!.split(/\s+/)[1].split(':')[0]).not.toMatch(/^(root|0)$/);
  });

  it('checks the build produced the entry point of every service, each from an existing main.ts', () => {
    const loop = /for service in ([\w\s-]+?); do/.exec(stages[1].join('\n'));
    expect(loop).not.toBeNull();
    const built = loop![1].trim().split(/\s+/);
    expect([...built].sort()).toEqual([...ROTOR_SERVICES].sort());
    for (const service of built)
      expect(existsSync(join(ROOT, `services/${service}/src/main.ts`))).toBe(true);
  });
});

describe('.dockerignore', () => {
  const patterns = read('.dockerignore')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('#'));
  /** A .dockerignore glob: `**` spans folders, `*` and `?` stay within one name. */
  const toRegExp = (glob: string): RegExp => {
    const names = (text: string): string =>
      text
        .split('**')
        .map((piece) =>
          piece
            .replace(/[.+^${}()|[\]\\]/g, '\\$&')
            .replace(/\*/g, '[^/]*')
            .replace(/\?/g, '[^/]'),
        )
        .join('.*');
    return new RegExp(`^${glob.split('**/').map(names).join('(?:.*/)?')}(?:/.*)?$`);
  };
  /** Docker's rule: the last matching pattern wins; `!` re-includes. */
  const ignored = (path: string): boolean =>
    patterns.reduce((result, pattern) => {
      const negated = pattern.startsWith('!');
      return toRegExp(negated ? pattern.slice(1) : pattern).test(path) ? !negated : result;
    }, false);

  it.each([
    'package.json',
    'package-lock.json',
    'tsconfig.json',
    'libs/config/src/config.ts',
    'services/command/src/main.ts',
    'deploy/healthcheck.js',
  ])('sends %s to the build', (path) => {
    expect(ignored(path)).toBe(false);
  });

  it.each([
    'node_modules/yaml/package.json',
    'dist/services/command/src/main.js',
    'data/rotor.sqlite',
    'data/distributed/kek-ring.json',
    'deploy/kek-ring.example.json',
    '.env',
    '.git/HEAD',
    'libs/config/src/config.spec.ts',
  ])('keeps %s out of the build', (path) => {
    expect(ignored(path)).toBe(true);
  });
});
