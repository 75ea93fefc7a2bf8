import type { ServiceHealth } from '@rotor/contracts';
import { healthRecord, judgeService, loopCheck, projectionCheck } from './readiness';
import { ServiceReadiness } from './service-readiness';

const now = new Date('2026-12-01T12:00:00.000Z');
const ago = (ms: number) => new Date(now.getTime() - ms);

const record = (
  service: string,
  instance: string,
  ageMs: number,
  failing: string[] = [],
): ServiceHealth =>
  healthRecord(
    { service, instance },
    [
      {
        name: 'loop',
        ok: !failing.includes('loop'),
        ...(failing.includes('loop') ? { detail: 'down' } : {}),
      },
    ],
    ago(ageMs),
  );

describe('readiness rules', () => {
  describe('loopCheck', () => {
    it('is ok while the loop runs, and says why not while it backs off', () => {
      expect(loopCheck('watch', { running: true, restarts: 2 })).toEqual({
        name: 'watch',
        ok: true,
      });
      expect(
        loopCheck('watch', { running: false, restarts: 3, lastError: 'TIMEOUT' }),
      ).toMatchObject({ ok: false, detail: expect.stringMatching(/TIMEOUT.*3 restarts/) });
      expect(loopCheck('watch', undefined)).toMatchObject({
        ok: false,
        detail: 'watch has not started',
      });
      expect(loopCheck('watch', { running: false, restarts: 0 })).toMatchObject({
        ok: false,
        detail: 'watch is starting',
      });
    });
  });

  describe('ServiceReadiness.registerLoop', () => {
    it("judges the loop's status as loopCheck does, under the name it was given once", async () => {
      const readiness = new ServiceReadiness('query');
      let status: { running: boolean; restarts: number } | undefined = undefined;
      readiness.registerLoop('endpoint_watch', () => status);
      expect((await readiness.evaluate()).checks).toEqual([loopCheck('endpoint_watch', undefined)]);
      status = { running: true, restarts: 0 };
      expect((await readiness.evaluate()).checks).toEqual([{ name: 'endpoint_watch', ok: true }]);
    });
  });

  describe('projectionCheck', () => {
    const caughtUp = { position: '9', headPosition: '9', lagEvents: 0, lagSeconds: 0 };
    it('given a caught-up projection, is ok', () => {
      expect(projectionCheck(caughtUp).ok).toBe(true);
    });
    it('given lag above either bound or a stopped loop, fails naming each reason', () => {
      expect(projectionCheck({ ...caughtUp, lagEvents: 1_001 }).detail).toMatch(
        /1001 events behind/,
      );
      expect(projectionCheck({ ...caughtUp, lagSeconds: 12.5 }).detail).toMatch(/12\.5 s behind/);
      expect(projectionCheck({ ...caughtUp, lastError: 'TIMEOUT' }).detail).toMatch(
        /stopped: TIMEOUT/,
      );
    });
    it('accepts lag at the bounds', () => {
      expect(projectionCheck({ ...caughtUp, lagEvents: 1_000, lagSeconds: 10 }).ok).toBe(true);
    });
  });

  describe('judgeService (the gateway)', () => {
    it('given no record, is not ready', () => {
      expect(judgeService('signer', [], now)).toEqual({
        ready: false,
        instances: 0,
        detail: 'no status from signer',
      });
    });
    it('given only stale records, is not ready and says for how long', () => {
      expect(judgeService('signer', [record('signer', 'a', 25_000)], now)).toMatchObject({
        ready: false,
        detail: 'no status from signer for 25 s',
      });
    });
    it('given a fresh ready record, is ready; other services do not count', () => {
      const records = [record('signer', 'a', 1_000), record('query', 'q', 1_000, ['loop'])];
      expect(judgeService('signer', records, now)).toEqual({ ready: true, instances: 1 });
    });
    it('given one fresh instance not ready, is not ready with its reason', () => {
      const records = [record('signer', 'a', 1_000), record('signer', 'b', 2_000, ['loop'])];
      expect(judgeService('signer', records, now)).toEqual({
        ready: false,
        instances: 2,
        detail: 'b: loop: down',
      });
    });
    it('ignores a stale instance (gone) when a fresh one is ready', () => {
      const records = [record('signer', 'old', 30_000, ['loop']), record('signer', 'new', 500)];
      expect(judgeService('signer', records, now).ready).toBe(true);
    });
  });

  it('a record is ready exactly when every check is', () => {
    expect(record('command', 'c', 0).ready).toBe(true);
    expect(record('command', 'c', 0, ['loop']).ready).toBe(false);
  });
});
