import { InMemoryEventLog, subjectMatcher } from './in-memory-event-log';

const message = (n: number, subject = 'rotor.events.acme.secret.rotated') => ({
  subject,
  id: `webhookEndpoint-we_1@${n}`,
  position: String(n * 10),
  body: { n },
});

describe('InMemoryEventLog', () => {
  it('given an empty log, has no last position', async () => {
    expect(await new InMemoryEventLog().lastPosition()).toBeUndefined();
  });

  it('when a message is appended twice under one id, then it holds it once', async () => {
    const log = new InMemoryEventLog();
    await log.append(message(1));
    await log.append({ ...message(1), body: { n: 'again' } });
    await log.append(message(2));
    const seen: unknown[] = [];
    log.subscribe('rotor.events.>', (m) => seen.push(m.body));
    expect(seen).toEqual([{ n: 1 }, { n: 2 }]);
    expect(await log.lastPosition()).toBe('20');
  });

  it('delivers what matches the filter after a sequence, then each new message, until unsubscribed', async () => {
    const log = new InMemoryEventLog();
    await log.append(message(1, 'rotor.events.acme.endpoint.registered'));
    await log.append(message(2, 'rotor.events.globex.endpoint.registered'));
    await log.append(message(3, 'rotor.events.acme.secret.rotated'));
    const seen: number[] = [];
    const stop = log.subscribe('rotor.events.acme.>', (m) => seen.push(m.sequence), 1);
    await log.append(message(4, 'rotor.events.acme.endpoint.deleted'));
    stop();
    await log.append(message(5, 'rotor.events.acme.secret.rotated'));
    expect(seen).toEqual([3, 4]);
  });

  it('hands each consumer a copy, never the object that was appended', async () => {
    const log = new InMemoryEventLog();
    const body = { n: 1 };
    await log.append({ ...message(1), body });
    body.n = 2;
    log.subscribe('>', (m) => expect(m.body).toEqual({ n: 1 }));
  });
});

describe('subjectMatcher', () => {
  it.each([
    ['rotor.events.>', 'rotor.events.acme.secret.rotated', true],
    ['rotor.events.>', 'rotor.events', false],
    ['rotor.events.*.secret.rotated', 'rotor.events.acme.secret.rotated', true],
    ['rotor.events.*.secret.rotated', 'rotor.events.acme.endpoint.deleted', false],
    ['rotor.events.acme.>', 'rotor.events.globex.secret.rotated', false],
    ['rotor.events.acme.secret.rotated', 'rotor.events.acme.secret.rotated', true],
    ['rotor.events.acme.secret', 'rotor.events.acme.secret.rotated', false],
  ])('%s matches %s: %s', (filter, subject, expected) => {
    expect(subjectMatcher(filter)(subject)).toBe(expected);
  });
});
