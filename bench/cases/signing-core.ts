import { createHmac, randomBytes } from 'node:crypto';
import { generateSecret, secretBytes, signatureHeaders, verifySignature } from '@rotor/crypto';
import { Webhook } from 'standardwebhooks';
import { ratioOf, type BenchCase } from '../lib/result';
import { opsPerSecond, repeat } from '../lib/stats';

/** Rotor's signing core against raw HMAC and the standardwebhooks package, in-process. */
export const signingCore: BenchCase = {
  name: 'signing-core',
  description: 'sign a 1 KiB payload with two keys; verify against two secrets',
  async run({ quick }) {
    const sliceMs = quick ? 300 : 1000;
    const runs = quick ? 3 : 5;
    // 1 KiB of JSON (the package's verify parses the body).
    const payload = JSON.stringify({
      type: 'invoice.paid',
      data: randomBytes(496).toString('hex'),
    });
    const secrets = [generateSecret(), generateSecret()];
    const keys = secrets.map(secretBytes);
    const msgId = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';
    // Now: the package verifies against its own clock (5 minutes tolerance).
    const timestamp = Math.floor(Date.now() / 1000);
    const content = `${msgId}.${timestamp}.${payload}`;
    const headers = signatureHeaders({ msgId, timestamp, payload, secrets: keys });
    const webhooks = secrets.map((s) => new Webhook(s));
    const when = new Date(timestamp * 1000);
    const packageHeaders = {
      'webhook-id': msgId,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': headers['webhook-signature'],
    };

    const rotorSign = await repeat(runs, () =>
      opsPerSecond(() => signatureHeaders({ msgId, timestamp, payload, secrets: keys }), sliceMs),
    );
    const rawSign = await repeat(runs, () =>
      opsPerSecond(() => {
        createHmac('sha256', keys[0]).update(content).digest('base64');
        createHmac('sha256', keys[1]).update(content).digest('base64');
      }, sliceMs),
    );
    const packageSign = await repeat(runs, () =>
      opsPerSecond(() => webhooks.map((w) => w.sign(msgId, when, payload)), sliceMs),
    );
    // Verification with the old secret listed second: the worse case for a receiver mid-rotation.
    const rotorVerify = await repeat(runs, () =>
      opsPerSecond(
        () =>
          verifySignature({
            headers,
            payload,
            secrets: [secrets[1], secrets[0]],
            now: Math.floor(Date.now() / 1000),
          }),
        sliceMs,
      ),
    );
    const packageVerify = await repeat(runs, () =>
      opsPerSecond(() => webhooks[1].verify(payload, packageHeaders), sliceMs),
    );
    return {
      name: this.name,
      parameters: { payloadBytes: 1024, keys: 2, sliceMs, runs },
      metrics: [
        {
          label: 'sign vs raw HMAC ×2',
          unit: 'ops/s',
          rotor: rotorSign,
          baseline: { label: 'raw node:crypto', value: rawSign },
          ratio: ratioOf(rotorSign, rawSign),
          target: '>= 0.8x raw',
          met: ratioOf(rotorSign, rawSign) >= 0.8,
        },
        {
          label: 'sign vs standardwebhooks',
          unit: 'ops/s',
          rotor: rotorSign,
          baseline: { label: 'standardwebhooks sign ×2', value: packageSign },
          ratio: ratioOf(rotorSign, packageSign),
          target: '>= 4x package',
          met: ratioOf(rotorSign, packageSign) >= 4,
        },
        {
          label: 'verify vs standardwebhooks',
          unit: 'ops/s',
          rotor: rotorVerify,
          baseline: { label: 'standardwebhooks verify', value: packageVerify },
          ratio: ratioOf(rotorVerify, packageVerify),
          target: '>= 4x package',
          met: ratioOf(rotorVerify, packageVerify) >= 4,
        },
      ],
    };
  },
};
