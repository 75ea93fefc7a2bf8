import { Controller, Inject, type INestMicroservice, type Type } from '@nestjs/common';
import {
  Ctx,
  MessagePattern,
  NatsContext,
  Payload,
  RpcException,
  type MicroserviceOptions,
} from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import type { RpcErrorPayload } from '../src/rpc-errors';

/** Subjects of the fixture controller; `rotor.test.*` so they never meet a real service. */
export const FIXTURE = {
  echo: 'rotor.test.echo',
  refuse: 'rotor.test.refuse',
  crash: 'rotor.test.crash',
  nothing: 'rotor.test.nothing',
  inspect: 'rotor.test.inspect',
  unserved: 'rotor.test.unserved',
} as const;

export const QUEUE = 'rotor-test';

export const REFUSAL: RpcErrorPayload = {
  code: 'rotation_in_progress',
  message: 'a rotation is already in progress',
  status: 409,
  param: 'force',
  errors: [{ param: 'force', code: 'required', message: 'set force to rotate anyway' }],
};

/** What Nest's RPC exception filter makes of anything that is not an RpcException. */
export const UNKNOWN_ERROR = { status: 'error', message: 'Internal server error' };

export const INSTANCE = Symbol('INSTANCE');

/** Which instance handled which request, across every instance of the test. */
export class CallLog {
  readonly calls: Array<{ instance: string; request: unknown }> = [];
}

@Controller()
export class RpcFixtureController {
  constructor(
    @Inject(INSTANCE) private readonly instance: string,
    private readonly log: CallLog,
  ) {}

  @MessagePattern(FIXTURE.echo)
  async echo(@Payload() data: unknown, @Ctx() context: NatsContext) {
    this.log.calls.push({ instance: this.instance, request: data });
    return { data, subject: context.getSubject(), instance: this.instance };
  }

  @MessagePattern(FIXTURE.refuse)
  refuse(): never {
    throw new RpcException(REFUSAL);
  }

  @MessagePattern(FIXTURE.crash)
  crash(): never {
    throw new Error('internal detail that must not leave the service');
  }

  @MessagePattern(FIXTURE.nothing)
  nothing(): void {}

  /** Reports what actually arrived, and mutates it to prove the sender kept its own copy. */
  @MessagePattern(FIXTURE.inspect)
  inspect(@Payload() data: Record<string, unknown>) {
    const seen = {
      keys: Object.keys(data).sort(),
      when: typeof data.when,
      nested: { ...(data.nested as object) },
    };
    (data.nested as { touched?: boolean }).touched = true;
    return { seen, at: new Date('2025-01-02T03:04:05.000Z'), dropped: undefined };
  }
}

/** One microservice instance serving the fixture controller over `options`. */
export async function startFixture(
  options: MicroserviceOptions,
  instance: string,
  log = new CallLog(),
  controller: Type = RpcFixtureController,
): Promise<INestMicroservice> {
  const moduleRef = await Test.createTestingModule({
    controllers: [controller],
    providers: [
      { provide: INSTANCE, useValue: instance },
      { provide: CallLog, useValue: log },
    ],
  }).compile();
  const app = moduleRef.createNestMicroservice<MicroserviceOptions>({ ...options, logger: false });
  await app.listen();
  return app;
}
