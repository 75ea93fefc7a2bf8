import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { EventStore } from '@rotor/event-store';
import { InProcessBus, inProcessServerOptions } from '@rotor/messaging';
import { EVENT_STORE, configOrExit, exitOnStartFailure, jsonLogger } from '@rotor/runtime';
import { configureGateway } from '../../gateway/src/configure-gateway';
import { AllInOneModule } from './all-in-one.module';
import { ensureDevApiKey } from './dev-api-key';
import { devKekRingOrExit } from './dev-kek-ring';

/** `npm start`: all of Rotor in one process on the embedded store. No NATS, no EventStoreDB. */
async function main(): Promise<void> {
  const config = configOrExit({ EVENT_STORE: 'sqlite', ...process.env });
  const logger = jsonLogger('all-in-one', config.logLevel);
  const kekRing = devKekRingOrExit(config, logger);
  const bus = new InProcessBus();

  const app = await NestFactory.create(AllInOneModule.forRoot({ config, kekRing, bus }), {
    logger,
    bodyParser: false,
  });
  configureGateway(app);
  // The RPC controllers bring their own exception filter, so the handlers share nothing
  // with the HTTP app's configuration.
  app.connectMicroservice(inProcessServerOptions(bus), { inheritAppConfig: false });
  app.enableShutdownHooks();
  await app.startAllMicroservices();
  // Before listening: once /health answers, the first start's key exists and is printed.
  await ensureDevApiKey(
    app.get<EventStore>(EVENT_STORE),
    config.port,
    new Logger('all-in-one'),
    kekRing.audit,
  );
  await app.listen(config.port, '127.0.0.1');
  new Logger('all-in-one').log(
    `Rotor is running: http://localhost:${config.port} (docs at /docs), data in ${config.dataDir}`,
  );
}

void main().catch(exitOnStartFailure('all-in-one'));
