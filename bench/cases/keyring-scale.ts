import { DataKeyVault, generateKekRingText, newEndpointId, parseKekRing } from '@rotor/crypto';
import type { EventStore } from '@rotor/event-store';
import type { KeyRingDraft } from '@rotor/projections';
import { KeyRing } from '../../services/signer/src/key-ring';
import type { BenchCase } from '../lib/result';
import { repeat } from '../lib/stats';

/**
 * The signer's key ring at scale: entries arrive as the KV watch delivers them (JSON text,
 * parsed), two sealed keys each; secrets are opened lazily on first signature, so being
 * ready means holding every entry.
 */
export const keyringScale: BenchCase = {
  name: 'keyring-scale',
  description: 'load a key ring of many endpoints into the signer: RSS and time to ready',
  async run({ quick }) {
    const endpoints = quick ? 100_000 : 1_000_000;
    // Loading never opens a secret, so the vault's store is never touched.
    const vault = new DataKeyVault(
      undefined as unknown as EventStore,
      parseKekRing(generateKekRingText()),
    );
    const rssGrowth: number[] = [];
    const seconds = await repeat(quick ? 2 : 3, () => {
      let ring: KeyRing | undefined = new KeyRing(vault);
      const before = process.memoryUsage().rss;
      const start = process.hrtime.bigint();
      for (let i = 0; i < endpoints; i++) {
        const endpointId = newEndpointId();
        const draft: KeyRingDraft = {
          endpointId,
          tenantId: 'bench',
          dataKey: { kekId: 'kek-bench', wrappedKey: 'W'.repeat(80), revision: 0 },
          keys: [
            {
              keyId: `key_01J${String(2 * i + 1).padStart(23, '0')}`,
              ciphertext: `${i}`.padEnd(100, 'C'),
              createdAt: '2026-01-01T00:00:00.000Z',
            },
            {
              keyId: `key_01J${String(2 * i).padStart(23, '0')}`,
              ciphertext: `${i}`.padEnd(100, 'P'),
              createdAt: '2025-12-31T00:00:00.000Z',
              expiresAt: '2026-01-01T01:00:00.000Z',
            },
          ],
          revision: 1,
          deleted: false,
        };
        ring.update(endpointId, JSON.parse(JSON.stringify(draft)) as KeyRingDraft);
      }
      const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
      rssGrowth.push((process.memoryUsage().rss - before) / 2 ** 20);
      if (ring.size !== endpoints) throw new Error('ring incomplete');
      ring = undefined;
      return elapsed;
    });
    const rss = await repeat(1, () => Math.max(...rssGrowth));
    return {
      name: this.name,
      parameters: {
        endpoints,
        keysPerEndpoint: 2,
        delivery: 'JSON text parsed per entry, as from the KV watch',
      },
      metrics: [
        {
          label: `time to ready, ${endpoints.toLocaleString('en-US')} endpoints`,
          unit: 's',
          rotor: seconds,
          target: '<= 30 s',
          met: seconds.max <= 30,
        },
        {
          label: 'RSS growth (worst run)',
          unit: 'MB',
          rotor: rss,
          target: '<= 1024 MB',
          met: rss.max <= 1024,
        },
      ],
    };
  },
};
