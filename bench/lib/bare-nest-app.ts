import 'reflect-metadata';
import { Body, Controller, HttpCode, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

/**
 * The framework's floor for the REST cases: a NestJS app on the same HTTP adapter as the
 * gateway (express, Nest's default) with one POST route that parses a JSON body (Nest's
 * built-in body parser) and answers a small JSON body. No guards, pipes, interceptors,
 * middleware or logging: whatever Rotor's sign route costs above this is Rotor's.
 * Run as its own process: PORT, then `bare nest listening on <port>` on stdout.
 */
@Controller()
class BareController {
  @Post('echo/:id')
  @HttpCode(200)
  echo(@Body() body: { payload?: string }) {
    return { ok: true, length: typeof body.payload === 'string' ? body.payload.length : 0 };
  }
}

@Module({ controllers: [BareController] })
class BareModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create(BareModule, { logger: ['error'] });
  app.enableShutdownHooks();
  const port = Number(process.env.PORT ?? 3000);
  await app.listen(port, '127.0.0.1');
  process.stdout.write(`bare nest listening on ${port}\n`);
}

void main();
