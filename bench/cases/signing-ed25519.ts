import { randomBytes, sign, verify } from 'node:crypto';
import {
  ed25519PrivateKey,
  ed25519PublicKey,
  generateEd25519Key,
  generateSecret,
  secretBytes,
  signatureHeaders,
} from '@rotor/crypto';
import { ratioOf, reported, type BenchCase, type Metric } from '../lib/result';
import { opsPerSecond, summarize, type Summary } from '../lib/stats';

/**
 * Ed25519 (`v1a`) signing in-process against raw node:crypto Ed25519 over the same content,
 * measured in the same run, variant after variant in each repetition: one key, the overlap
 * of two Ed25519 keys, and the switch overlap (one Ed25519 key and one HMAC secret).
 */
export const signingEd25519: BenchCase = {
  name: 'signing-ed25519',
  description: 'sign a 1 KiB payload with Ed25519 keys (v1a), against raw node:crypto Ed25519',
  async run({ quick }) {
    const sliceMs = quick ? 250 : 1000;
    const runs = quick ? 3 : 5;
    const payload = JSON.stringify({
      type: 'invoice.paid',
      data: randomBytes(496).toString('hex'),
    });
    if (Buffer.byteLength(payload) < 1024) throw new Error('payload under 1 KiB');
    const [newer, older] = [generateEd25519Key(), generateEd25519Key()];
    const keys = [ed25519PrivateKey(newer.privateKey), ed25519PrivateKey(older.privateKey)];
    const hmac = secretBytes(generateSecret());
    const msgId = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';
    const timestamp = Math.floor(Date.now() / 1000);
    const content = Buffer.from(`${msgId}.${timestamp}.${payload}`);

    // The variants must agree before they are timed: Rotor's entries are raw signatures.
    const both = signatureHeaders({ msgId, timestamp, payload, secrets: keys });
    const entries = both['webhook-signature'].split(' ');
    const checks = [
      entries.length === 2,
      entries[0] === `v1a,${sign(null, content, keys[0]).toString('base64')}`,
      verify(
        null,
        content,
        ed25519PublicKey(older.publicKey),
        Buffer.from(entries[1].slice(4), 'base64'),
      ),
    ];
    if (checks.some((ok) => !ok)) throw new Error('the variants disagree: fix the benchmark');

    const variants = {
      rotorOne: () => signatureHeaders({ msgId, timestamp, payload, secrets: [keys[0]] }),
      rawOne: () => sign(null, content, keys[0]).toString('base64'),
      rotorTwo: () => signatureHeaders({ msgId, timestamp, payload, secrets: keys }),
      rawTwo: () => {
        sign(null, content, keys[0]).toString('base64');
        sign(null, content, keys[1]).toString('base64');
      },
      rotorSwitch: () => signatureHeaders({ msgId, timestamp, payload, secrets: [keys[0], hmac] }),
    };
    const samples = Object.fromEntries(Object.keys(variants).map((k) => [k, [] as number[]])) as {
      [K in keyof typeof variants]: number[];
    };
    for (let i = 0; i < runs; i++)
      for (const [name, fn] of Object.entries(variants))
        samples[name as keyof typeof variants].push(opsPerSecond(fn, sliceMs));
    const s = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summarize(v)])) as {
      [K in keyof typeof variants]: Summary;
    };
    const against = (label: string, rotor: Summary, baselineLabel: string, baseline: Summary) => {
      const ratio = ratioOf(rotor, baseline);
      const metric: Metric = {
        label,
        unit: 'ops/s',
        rotor,
        baseline: { label: baselineLabel, value: baseline },
        ratio,
        target: '>= 0.8x raw',
        met: ratio >= 0.8,
      };
      return metric;
    };
    return {
      name: this.name,
      parameters: { payloadBytes: Buffer.byteLength(payload), sliceMs, runs },
      metrics: [
        against('sign, 1 Ed25519 key', s.rotorOne, 'raw node:crypto Ed25519', s.rawOne),
        against(
          'sign, 2 Ed25519 keys (overlap)',
          s.rotorTwo,
          'raw node:crypto Ed25519 x2',
          s.rawTwo,
        ),
        reported('sign, Ed25519 + HMAC (switching scheme)', 'ops/s', s.rotorSwitch),
      ],
    };
  },
};
