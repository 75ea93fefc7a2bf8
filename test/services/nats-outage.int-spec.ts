import { SUBJECTS, type RegisterEndpointReply, type RotateSecretReply } from '@rotor/contracts';
import { signatureHeaders } from '@rotor/crypto';
import { START } from '@rotor/event-store';
import { HealthReporter } from '@rotor/runtime';
import { findNatsServer, startNatsServer, waitFor, type RestartableNats } from '@rotor/testing';
import { randomUUID } from 'node:crypto';
import { EndpointCommandsService } from '../../services/command/src/endpoint-commands.service';
import { PROJECTED_STREAM_PREFIXES } from '../../services/projector/src/projector.constants';
import { ProjectorService } from '../../services/projector/src/projector.service';
import { SignerService } from '../../services/signer/src/signer.service';
import { RotorServices } from './rotor-services';

const meta = () => ({ actor: 'test-suite', requestId: randomUUID() });
/** After NATS is back, the signer must sign with the newest key within this. */
const RECOVERY_BOUND_MS = 15_000;

const binary = findNatsServer();
const describeIfNats = binary ? describe : describe.skip;
if (!binary) console.log('SKIPPED: nats outage: no nats-server on PATH');

/**
 * kill -9 of nats-server while rotations keep being written to the store (straight through
 * the command service's handler, since NATS is gone), then the server comes back on the
 * same port and store directory. No service is restarted: the projector must catch up by
 * itself and the signer must sign with the newest key.
 */
describeIfNats('NATS outage: kill -9 and restart of nats-server (int)', () => {
  let nats: RestartableNats;
  let rotor: RotorServices;

  beforeAll(async () => {
    nats = await startNatsServer(binary!);
    rotor = new RotorServices(nats.url);
    await rotor.start('command', 'projector', 'signer');
  });
  afterAll(async () => {
    await nats?.restart().catch(() => undefined);
    await rotor?.close();
    await nats?.stop();
  });

  const signsWith = async (endpointId: string, secret: string): Promise<boolean> => {
    const request = { endpointId, msgId: 'msg_1', timestamp: 1_700_000_000, payload: '{}' };
    const expected = signatureHeaders({
      ...request,
      secrets: [Buffer.from(secret.replace(/^whsec_/, ''), 'base64')],
    })['webhook-signature'];
    try {
      const signed = await rotor.get('signer', SignerService).sign(request);
      return signed.headers['webhook-signature'].split(' ')[0] === expected;
    } catch {
      return false;
    }
  };
  const headPosition = async () => {
    let last = START;
    for await (const e of rotor.store.readAll(START, { streamPrefixes: PROJECTED_STREAM_PREFIXES }))
      last = e.position;
    return last;
  };

  it('given rotations written during the outage, the projector catches up and the signer signs with the newest key once NATS is back', async () => {
    const { endpoint, secret } = await rotor.client.request<unknown, RegisterEndpointReply>(
      SUBJECTS.command.registerEndpoint,
      { meta: meta(), tenantId: 'acme' },
    );
    await waitFor(() => signsWith(endpoint.id, secret), 'the signer to know the endpoint', 15_000);

    await nats.kill();
    const commands = rotor.get('command', EndpointCommandsService);
    let newest: RotateSecretReply | undefined;
    // Rotations keep landing in the store while NATS is down; the projector's KV writes
    // fail (TIMEOUT or closed connection) and it must back off, not stop.
    const projector = rotor.get('projector', ProjectorService);
    for (let i = 0; i < 5; i += 1)
      newest = await commands.rotate({
        meta: meta(),
        endpointId: endpoint.id,
        expireCurrentIn: 3600,
        force: true,
      });
    await waitFor(
      () => projector.loopStatus.restarts > 0 && !projector.loopStatus.running,
      'the projector to notice the outage',
      30_000,
    );
    expect(projector.loopStatus.lastError).toBeDefined();
    const reporter = rotor.get('projector', HealthReporter);
    await waitFor(
      () => reporter.latest?.ready === false,
      'the projector to report not ready',
      15_000,
    );
    expect(await signsWith(endpoint.id, newest!.secret)).toBe(false);

    const restarted = Date.now();
    await nats.restart();
    const head = await headPosition();
    await waitFor(
      () => projector.lastPosition === head,
      'the projector to catch up after NATS is back',
      RECOVERY_BOUND_MS,
    );
    await waitFor(
      () => signsWith(endpoint.id, newest!.secret),
      'the signer to sign with the newest key',
      RECOVERY_BOUND_MS,
    );
    const recoveryMs = Date.now() - restarted;
    console.log(`NATS outage: signer on the newest key ${recoveryMs} ms after the restart`);
    await waitFor(
      () => reporter.latest?.ready === true && reporter.latest.projection?.lagEvents === 0,
      'the projector to report ready with no lag',
      RECOVERY_BOUND_MS,
    );
    // And it is live again: a rotation over NATS reaches the signer.
    const after = await rotor.client.request<unknown, RotateSecretReply>(
      SUBJECTS.command.rotateSecret,
      { meta: meta(), endpointId: endpoint.id, expireCurrentIn: 3600, force: true },
    );
    await waitFor(() => signsWith(endpoint.id, after.secret), 'a live rotation', 15_000);
  });
});
