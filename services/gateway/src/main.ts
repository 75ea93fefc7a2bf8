import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { configOrExit, jsonLogger, kekRingOrExit, RuntimeModule } from '@rotor/runtime';
import { configureGateway } from './configure-gateway';
import { GatewayModule } from './gateway.module';

/** The gateway as its own process (distributed mode): HTTP on PORT, the services over NATS. */
async function main(): Promise<void> {
  const config = configOrExit();
  const kekRing = kekRingOrExit(config);
  @Module({
    imports: [
      RuntimeModule.forRoot({ service: 'gateway', config, kekRing, transport: { kind: 'nats' } }),
      GatewayModule,
    ],
  })
  class GatewayProcessModule {}

  const logger = jsonLogger('gateway', config.logLevel);
  const app = await NestFactory.create<NestExpressApplication>(GatewayProcessModule, {
    logger,
    bodyParser: false,
  });
  configureGateway(app);
  app.enableShutdownHooks();
  await app.listen(config.port);
  logger.log(`gateway listening on port ${config.port} (NATS ${config.natsUrl})`);
}

void main();
