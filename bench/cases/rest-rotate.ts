import autocannon from 'autocannon';
import type { AddressInfo } from 'node:net';
import { startRotorApp } from '../../services/gateway/test/rotor-app';
import type { BenchCase } from '../lib/result';
import { repeat, summarize } from '../lib/stats';

/** The REST facade under a fixed 500 requests/s of rotations, all-in-one process. */
export const restRotate: BenchCase = {
  name: 'rest-rotate',
  description: 'POST .../secret/rotate at a fixed 500 requests/s against the all-in-one app',
  async run({ quick }) {
    const rotor = await startRotorApp();
    try {
      const { auth } = await rotor.issueKey('bench');
      const base = `http://127.0.0.1:${(rotor.server.address() as AddressInfo).port}`;
      const endpoints: string[] = [];
      for (let i = 0; i < 100; i++) {
        const response = await fetch(`${base}/v1/webhooks/endpoints`, {
          method: 'POST',
          headers: { authorization: auth, 'content-type': 'application/json' },
          body: JSON.stringify({ url: `https://receiver.test/${i}` }),
        });
        endpoints.push(((await response.json()) as { id: string }).id);
      }
      const duration = quick ? 3 : 10;
      const p50s: number[] = [];
      const errors: number[] = [];
      let next = 0;
      const p99 = await repeat(3, async () => {
        const result = await autocannon({
          url: base,
          connections: 16,
          overallRate: 500,
          duration,
          requests: [
            {
              method: 'POST',
              headers: { authorization: auth, 'content-type': 'application/json' },
              body: JSON.stringify({ expire_current_in: 0, force: true }),
              setupRequest: (request) => ({
                ...request,
                path: `/v1/webhooks/endpoints/${endpoints[next++ % endpoints.length]}/secret/rotate`,
              }),
            },
          ],
        });
        p50s.push(result.latency.p50);
        errors.push(result.non2xx + result.errors + result.timeouts);
        return result.latency.p99;
      });
      return {
        name: this.name,
        parameters: {
          rate: 500,
          durationSeconds: duration,
          connections: 16,
          endpoints: endpoints.length,
          store: 'sqlite (synchronous=FULL)',
        },
        metrics: [
          {
            label: 'rotate at 500 req/s, p99',
            unit: 'ms',
            rotor: p99,
            target: '<= 10 ms',
            met: p99.median <= 10,
          },
          {
            label: 'rotate at 500 req/s, p50',
            unit: 'ms',
            rotor: summarize(p50s),
            target: '(reported)',
            met: true,
          },
          {
            label: 'non-2xx, errors and timeouts per run',
            unit: 'responses',
            rotor: summarize(errors),
            target: '0',
            met: Math.max(...errors) === 0,
          },
        ],
      };
    } finally {
      await rotor.close();
    }
  },
};
