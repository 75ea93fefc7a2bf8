import { Controller, Inject, type INestMicroservice, type Type } from '@nestjs/common';
import {
  Ctx,
  EventPattern,
  MessagePattern,
  Payload,
  RpcException,
  type MicroserviceOptions,
} from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { ContractPipe, errorReply, type GetEndpointRequest } from '@rotor/contracts';
import { of } from 'rxjs';
import { Caller, callerOf, RpcContext } from '../src/rpc-server';

/** Subjects of the fixture controller; `rotor.test.*` so they never meet a real service. */
export const FIXTURE = {
  echo: 'rotor.test.echo',
  refuse: 'rotor.test.refuse',
  crash: 'rotor.test.crash',
  nothing: 'rotor.test.nothing',
  inspect: 'rotor.test.inspect',
  validated: 'rotor.test.validated',
  observable: 'rotor.test.observable',
  event: 'rotor.test.event',
  unserved: 'rotor.test.unserved',
} as const;

export const QUEUE = 'rotor-test';

/** The caller token every test client uses. */
export const CALLER = 'tester';

export const REFUSAL = errorReply(
  'rotation_in_progress',
  'a rotation is already in progress',
  409,
  {
    param: 'force',
    errors: [{ field: 'force', message: 'set force to rotate anyway' }],
  },
);

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
  echo(@Payload() data: unknown, @Ctx() context: RpcContext, @Caller() caller: string) {
    this.log.calls.push({ instance: this.instance, request: data });
    return {
      data,
      subject: context.getSubject(),
      caller,
      callerOf: callerOf(context),
      instance: this.instance,
    };
  }

  @MessagePattern(FIXTURE.refuse)
  refuse(): never {
    throw new RpcException(REFUSAL);
  }

  @MessagePattern(FIXTURE.crash)
  async crash(): Promise<never> {
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

  @MessagePattern(FIXTURE.validated)
  validated(@Payload(new ContractPipe('GetEndpointRequest')) request: GetEndpointRequest) {
    return { endpointId: request.endpointId };
  }

  @MessagePattern(FIXTURE.observable)
  observable() {
    return of({ first: true }, { second: true });
  }

  @EventPattern(FIXTURE.event)
  event(): void {
    throw new Error('event handlers are not served');
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
