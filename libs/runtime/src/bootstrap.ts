import { ConsoleLogger, type LogLevel as NestLogLevel, type Type } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { queueGroupOf, type ServiceName } from '@rotor/contracts';
import { ConfigError, loadConfig, type LogLevel, type RotorConfig } from '@rotor/config';
import { loadKekRing, type KekRing } from '@rotor/crypto';
import { natsServerOptions } from '@rotor/messaging';
import { RuntimeModule } from './runtime.module';

const LEVELS: Record<LogLevel, NestLogLevel[]> = {
  debug: ['fatal', 'error', 'warn', 'log', 'debug'],
  info: ['fatal', 'error', 'warn', 'log'],
  warn: ['fatal', 'error', 'warn'],
  error: ['fatal', 'error'],
};

/** JSON lines, one per log call, at the configured level. */
export const jsonLogger = (service: string, level: LogLevel): ConsoleLogger =>
  new ConsoleLogger(service, { json: true, logLevels: LEVELS[level] });

/** Reads and validates configuration; on a bad value prints every problem and exits 2. */
export const configOrExit = (env: NodeJS.ProcessEnv = process.env): RotorConfig => {
  try {
    return loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
};

/** The KEK ring of a distributed service: required, from ROTOR_KEK_RING or ROTOR_KEK_RING_FILE. */
export const kekRingOrExit = (config: RotorConfig): KekRing => {
  try {
    const ring = loadKekRing({
      ROTOR_KEK_RING: config.kekRing.text,
      ROTOR_KEK_RING_FILE: config.kekRing.file,
    });
    if (!ring)
      throw new Error('set ROTOR_KEK_RING or ROTOR_KEK_RING_FILE (see README: Secrets at rest)');
    return ring;
  } catch (error) {
    console.error(`invalid configuration:\n  - KEK ring: ${(error as Error).message}`);
    process.exit(2);
  }
};

/**
 * Starts one service as its own process (distributed mode): its module plus the runtime
 * on NATS, serving its subjects in its queue group when it has any. Shutdown on SIGTERM
 * drains NATS and closes the store.
 */
export async function startService(
  service: ServiceName,
  serviceModule: Type<unknown>,
  options: { servesSubjects: boolean },
): Promise<void> {
  const config = configOrExit();
  const kekRing = kekRingOrExit(config);
  @Module({
    imports: [
      RuntimeModule.forRoot({ service, config, kekRing, transport: { kind: 'nats' } }),
      serviceModule,
    ],
  })
  class ServiceProcessModule {}

  const logger = jsonLogger(service, config.logLevel);
  if (options.servesSubjects) {
    const app = await NestFactory.createMicroservice(ServiceProcessModule, {
      ...natsServerOptions({ url: config.natsUrl, queue: queueGroupOf(service) }),
      logger,
    });
    app.enableShutdownHooks();
    await app.listen();
  } else {
    const app = await NestFactory.createApplicationContext(ServiceProcessModule, { logger });
    app.enableShutdownHooks();
    await app.init();
  }
  logger.log(`${service} started (NATS ${config.natsUrl}, store ${config.eventStore})`);
}
