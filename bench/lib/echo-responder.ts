import { connectNats, drainNats } from '@rotor/messaging';

/**
 * The baseline of every NATS benchmark, in a process of its own like the services it is
 * compared with: a plain nats.js subscriber that replies with the request's bytes.
 */
async function main(): Promise<void> {
  const url = process.env.NATS_URL;
  if (!url) throw new Error('NATS_URL is required');
  const connection = await connectNats({ url, name: 'rotor-bench-echo' });
  connection.subscribe('bench.echo', { callback: (_error, msg) => msg.respond(msg.data) });
  await connection.flush();
  process.stdout.write('echo ready\n');
  const stop = () => void drainNats(connection).then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
