import { ENDPOINTS, expectProblem, http, itDocumentsEveryStatusItSaw } from './http';
import { startRotorApp, type IssuedKey, type RotorTestApp } from './rotor-app';

describe('rate limits per API key (e2e)', () => {
  let rotor: RotorTestApp;
  let key: IssuedKey;
  let other: IssuedKey;
  beforeAll(async () => {
    rotor = await startRotorApp({ RATE_LIMIT_PER_MINUTE: '2', RATE_LIMIT_BURST: '3' });
    [key, other] = await Promise.all([rotor.issueKey('acme'), rotor.issueKey('acme')]);
  });
  afterAll(() => rotor?.close());

  it('allows the burst, then answers 429 with Retry-After, for that key only', async () => {
    for (let i = 0; i < 3; i += 1)
      expect((await http(rotor).get(ENDPOINTS).set('Authorization', key.auth)).status).toBe(200);
    const limited = await http(rotor).get(ENDPOINTS).set('Authorization', key.auth);
    expectProblem(limited, 429, 'rate_limited');
    const retryAfter = Number(limited.headers['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(30);
    expect((await http(rotor).get(ENDPOINTS).set('Authorization', other.auth)).status).toBe(200);
  });

  it('counts only authenticated requests: bad keys cannot drain a bucket', async () => {
    for (let i = 0; i < 5; i += 1) expect((await http(rotor).get(ENDPOINTS)).status).toBe(401);
    expect((await http(rotor).get(ENDPOINTS).set('Authorization', other.auth)).status).toBe(200);
  });

  it('limits writes too, before anything is sent to the services', async () => {
    const events = (await rotor.allEvents()).length;
    const limited = await http(rotor)
      .post(ENDPOINTS)
      .set('Authorization', key.auth)
      .send({ url: 'https://e.com' });
    expectProblem(limited, 429, 'rate_limited');
    expect((await rotor.allEvents()).length).toBe(events);
  });

  itDocumentsEveryStatusItSaw(() => rotor);
});

describe('failed authentication per client address (e2e)', () => {
  let rotor: RotorTestApp;
  beforeAll(async () => {
    rotor = await startRotorApp();
  });
  afterAll(() => rotor?.close());

  it('answers 429 with Retry-After once an address has failed a burst, before reading the body', async () => {
    for (let i = 0; i < 20; i += 1)
      expect((await http(rotor).get(ENDPOINTS).set('Authorization', 'Bearer rk_nope')).status).toBe(
        401,
      );
    const limited = await http(rotor)
      .post(ENDPOINTS)
      .set('content-type', 'application/json')
      .send('{"not json');
    expectProblem(limited, 429, 'rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });
});
