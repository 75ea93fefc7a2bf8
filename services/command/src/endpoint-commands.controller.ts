import { Controller, UseFilters } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import {
  ContractPipe,
  SUBJECTS,
  type DeleteEndpointRequest,
  type ExpirePreviousSecretRequest,
  type RegisterEndpointRequest,
  type RevokePreviousSecretRequest,
  type MarkRotationDueRequest,
  type RotateOnScheduleRequest,
  type RotateSecretRequest,
} from '@rotor/contracts';
import { RotorRpcExceptionFilter } from '@rotor/runtime';
import { actingAs, callerOfRequest } from './caller-identity';
import { EndpointCommandsService } from './endpoint-commands.service';

/**
 * One handler per command subject; each validates against its proto contract, records who
 * really acts (`actingAs`: the authenticated caller, never a claim) and delegates.
 */
@Controller()
@UseFilters(RotorRpcExceptionFilter)
export class EndpointCommandsController {
  constructor(private readonly commands: EndpointCommandsService) {}

  @MessagePattern(SUBJECTS.command.registerEndpoint)
  register(
    @Payload(new ContractPipe('RegisterEndpointRequest')) request: RegisterEndpointRequest,
    @Ctx() context: unknown,
  ) {
    return this.commands.register(actingAs(callerOfRequest(context), 'register-endpoint', request));
  }

  @MessagePattern(SUBJECTS.command.rotateSecret)
  rotate(
    @Payload(new ContractPipe('RotateSecretRequest')) request: RotateSecretRequest,
    @Ctx() context: unknown,
  ) {
    return this.commands.rotate(actingAs(callerOfRequest(context), 'rotate-secret', request));
  }

  @MessagePattern(SUBJECTS.command.revokePreviousSecret)
  revokePrevious(
    @Payload(new ContractPipe('RevokePreviousSecretRequest')) request: RevokePreviousSecretRequest,
    @Ctx() context: unknown,
  ) {
    return this.commands.revokePrevious(
      actingAs(callerOfRequest(context), 'revoke-previous-secret', request),
    );
  }

  @MessagePattern(SUBJECTS.command.expirePreviousSecret)
  expirePrevious(
    @Payload(new ContractPipe('ExpirePreviousSecretRequest')) request: ExpirePreviousSecretRequest,
    @Ctx() context: unknown,
  ) {
    return this.commands.expirePrevious(
      actingAs(callerOfRequest(context), 'expire-previous-secret', request),
    );
  }

  @MessagePattern(SUBJECTS.command.rotateOnSchedule)
  rotateOnSchedule(
    @Payload(new ContractPipe('RotateOnScheduleRequest')) request: RotateOnScheduleRequest,
    @Ctx() context: unknown,
  ) {
    return this.commands.rotateOnSchedule(
      actingAs(callerOfRequest(context), 'rotate-on-schedule', request),
    );
  }

  @MessagePattern(SUBJECTS.command.markRotationDue)
  markRotationDue(
    @Payload(new ContractPipe('MarkRotationDueRequest')) request: MarkRotationDueRequest,
    @Ctx() context: unknown,
  ) {
    return this.commands.markRotationDue(
      actingAs(callerOfRequest(context), 'mark-rotation-due', request),
    );
  }

  @MessagePattern(SUBJECTS.command.deleteEndpoint)
  delete(
    @Payload(new ContractPipe('DeleteEndpointRequest')) request: DeleteEndpointRequest,
    @Ctx() context: unknown,
  ) {
    return this.commands.delete(actingAs(callerOfRequest(context), 'delete-endpoint', request));
  }
}
