import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { redactUrl } from '@rotor/config';
import { configOrExit, exitOnStartFailure, jsonLogger, RuntimeModule } from '@rotor/runtime';
import { configureGateway } from './configure-gateway';
import { GatewayModule } from './gateway.module';

/**
 * The gateway as its own process (distributed mode): HTTP on PORT, the services over NATS.
 * It holds neither the KEK ring nor a store handle (RUNTIME_NEEDS): everything it serves
 * comes from the services it calls.
 */
async function main(): Promise<void> {
  const config = configOrExit();
  const logger = jsonLogger('gateway', config.logLevel);
  if (config.kekRing.text || config.kekRing.file)
    logger.warn(
      'the gateway does not use the KEK ring: remove ROTOR_KEK_RING(_FILE) from its environment',
    );
  @Module({
    imports: [
      RuntimeModule.forRoot({ service: 'gateway', config, transport: { kind: 'nats' } }),
      GatewayModule,
    ],
  })
  class GatewayProcessModule {}

  const app = await NestFactory.create<NestExpressApplication>(GatewayProcessModule, {
    logger,
    bodyParser: false,
  });
  configureGateway(app);
  app.enableShutdownHooks();
  await app.listen(config.port);
  logger.log(`gateway listening on port ${config.port} (NATS ${redactUrl(config.natsUrl)})`);
}

void main().catch(exitOnStartFailure('gateway'));
