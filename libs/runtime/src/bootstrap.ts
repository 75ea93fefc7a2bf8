import { ConsoleLogger, type LogLevel as NestLogLevel, type Type } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { queueGroupOf, type ServiceName } from '@rotor/contracts';
import { ConfigError, loadConfig, redactUrl, type LogLevel, type RotorConfig } from '@rotor/config';
import { loadKekRing, type KekRing } from '@rotor/crypto';
import { natsServerOptions } from '@rotor/messaging';
import { RUNTIME_NEEDS, RuntimeModule } from './runtime.module';

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
    console.error(`invalid configuration:\n  - KEK ring: ${redactUrl((error as Error).message)}`);
    process.exit(2);
  }
};

/**
 * A process that failed to start says so in one line (credentials redacted) and exits 1,
 * instead of an unhandled rejection with a stack trace that may quote its NATS_URL.
 */
export const exitOnStartFailure =
  (service: string) =>
  (error: unknown): never => {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`${service} failed to start: ${redactUrl(message)}`);
    process.exit(1);
  };

/**
 * Starts one service as its own process (distributed mode): its module plus the runtime
 * on NATS, serving its subjects in its queue group when it has any. Shutdown on SIGTERM
 * drains NATS and closes the store.
 */
export function startService(
  service: ServiceName,
  serviceModule: Type<unknown>,
  options: { servesSubjects: boolean },
): Promise<void> {
  return runService(service, serviceModule, options).catch(exitOnStartFailure(service));
}

async function runService(
  service: ServiceName,
  serviceModule: Type<unknown>,
  options: { servesSubjects: boolean },
): Promise<void> {
  const config = configOrExit();
  const needs = RUNTIME_NEEDS[service];
  // Only the services that must open a secret ever read the KEK ring (DESIGN §2).
  const kekRing = needs.kekRing ? kekRingOrExit(config) : undefined;
  const logger = jsonLogger(service, config.logLevel);
  if (!needs.kekRing && (config.kekRing.text || config.kekRing.file))
    logger.warn(
      `${service} does not use the KEK ring: remove ROTOR_KEK_RING(_FILE) from its environment`,
    );
  @Module({
    imports: [
      RuntimeModule.forRoot({ service, config, kekRing, transport: { kind: 'nats' } }),
      serviceModule,
    ],
  })
  class ServiceProcessModule {}

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
  logger.log(
    `${service} started (NATS ${redactUrl(config.natsUrl)}` +
      `${needs.eventStore ? `, store ${config.eventStore}` : ', no store'}` +
      `${needs.kekRing ? ', KEK ring loaded' : ', no KEK ring'})`,
  );
}
