import { createHmac, randomBytes } from 'node:crypto';
import { generateSecret, secretBytes, signatureHeaders, verifySignature } from '@rotor/crypto';
import { Webhook } from 'standardwebhooks';
import { ratioOf, reported, type BenchCase, type Metric } from '../lib/result';
import { opsPerSecond, summarize, type Summary } from '../lib/stats';

/**
 * Rotor's signing core (`signatureHeaders`, `verifySignature`) in-process against two
 * baselines measured in the same run: raw node:crypto HMAC-SHA256 over the same content
 * string, and the `standardwebhooks` package. Each repetition measures every variant once,
 * in turn, so a drift of the machine touches them all alike.
 */
export const signingCore: BenchCase = {
  name: 'signing-core',
  description: 'sign a 1 KiB payload with two keys; verify against two candidate secrets',
  async run({ quick }) {
    const sliceMs = quick ? 250 : 1000;
    const runs = quick ? 3 : 5;
    // 1 KiB of JSON (the package's verify parses the body by default).
    const payload = JSON.stringify({
      type: 'invoice.paid',
      data: randomBytes(496).toString('hex'),
    });
    if (Buffer.byteLength(payload) < 1024) throw new Error('payload under 1 KiB');
    const [newer, older] = [generateSecret(), generateSecret()];
    const keys = [secretBytes(newer), secretBytes(older)];
    const msgId = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';
    // Now: the package checks the timestamp against its own clock (5 minutes tolerance).
    const timestamp = Math.floor(Date.now() / 1000);
    const content = `${msgId}.${timestamp}.${payload}`;
    const when = new Date(timestamp * 1000);
    const hooks = { newer: new Webhook(newer), older: new Webhook(older) };
    const now = () => Math.floor(Date.now() / 1000);

    // Mid-rotation: signed with both keys, newest first (what the signer sends).
    const both = signatureHeaders({ msgId, timestamp, payload, secrets: keys });
    // After the overlap: signed with the new key only, the receiver still lists the old
    // secret first: the first candidate fails, so two HMACs (and, for the package, a throw).
    const newOnly = signatureHeaders({ msgId, timestamp, payload, secrets: [keys[0]] });
    const packageVerifyEither = (headers: Record<string, string>) => {
      try {
        return hooks.older.verify(payload, headers);
      } catch {
        return hooks.newer.verify(payload, headers);
      }
    };
    for (const check of [
      verifySignature({ headers: both, payload, secrets: keys, now: now() }).ok,
      verifySignature({ headers: newOnly, payload, secrets: [keys[1], keys[0]], now: now() }).ok,
      hooks.newer.verify(payload, both) !== undefined,
      packageVerifyEither(newOnly) !== undefined,
      signatureHeaders({ msgId, timestamp, payload, secrets: keys })['webhook-signature'] ===
        [hooks.newer.sign(msgId, when, payload), hooks.older.sign(msgId, when, payload)].join(' '),
    ])
      if (!check) throw new Error('the variants disagree: fix the benchmark before timing it');

    const variants = {
      rotorSign: () => signatureHeaders({ msgId, timestamp, payload, secrets: keys }),
      rawSign: () => {
        createHmac('sha256', keys[0]).update(content).digest('base64');
        createHmac('sha256', keys[1]).update(content).digest('base64');
      },
      packageSign: () =>
        `${hooks.newer.sign(msgId, when, payload)} ${hooks.older.sign(msgId, when, payload)}`,
      rotorVerifyFirst: () =>
        verifySignature({ headers: both, payload, secrets: [keys[0], keys[1]], now: now() }),
      packageVerifyFirst: () => hooks.newer.verify(payload, both),
      rotorVerifySecond: () =>
        verifySignature({ headers: newOnly, payload, secrets: [keys[1], keys[0]], now: now() }),
      packageVerifySecond: () => packageVerifyEither(newOnly),
      rotorVerifyStrings: () =>
        verifySignature({ headers: both, payload, secrets: [newer, older], now: now() }),
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

    const against = (
      label: string,
      rotor: Summary,
      baselineLabel: string,
      baseline: Summary,
      factor: number,
      what: string,
    ): Metric => {
      const ratio = ratioOf(rotor, baseline);
      return {
        label,
        unit: 'ops/s',
        rotor,
        baseline: { label: baselineLabel, value: baseline },
        ratio,
        target: `>= ${factor}x ${what}`,
        met: ratio >= factor,
      };
    };
    return {
      name: this.name,
      parameters: {
        payloadBytes: Buffer.byteLength(payload),
        keys: 2,
        sliceMs,
        runs,
        verifyKeys: 'decoded once (secretBytes), as the package decodes once in its constructor',
        packageVerify: 'default options (it JSON-parses the payload after a match)',
      },
      metrics: [
        against('sign, 2 keys', s.rotorSign, 'raw node:crypto HMAC x2', s.rawSign, 0.8, 'raw'),
        against(
          'sign, 2 keys',
          s.rotorSign,
          'standardwebhooks sign x2',
          s.packageSign,
          4,
          'package',
        ),
        against(
          'verify, first candidate matches',
          s.rotorVerifyFirst,
          'standardwebhooks verify',
          s.packageVerifyFirst,
          4,
          'package',
        ),
        against(
          'verify, second candidate matches',
          s.rotorVerifySecond,
          'standardwebhooks: 1st throws, 2nd verifies',
          s.packageVerifySecond,
          4,
          'package',
        ),
        reported(
          'verify, first matches, whsec_ strings decoded per call',
          'ops/s',
          s.rotorVerifyStrings,
        ),
      ],
    };
  },
};
