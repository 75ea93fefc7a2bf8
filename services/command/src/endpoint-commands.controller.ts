import { Controller, UseFilters } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  ContractPipe,
  SUBJECTS,
  type DeleteEndpointRequest,
  type ExpirePreviousSecretRequest,
  type RegisterEndpointRequest,
  type RevokePreviousSecretRequest,
  type RotateSecretRequest,
} from '@rotor/contracts';
import { RotorRpcExceptionFilter } from '@rotor/runtime';
import { EndpointCommandsService } from './endpoint-commands.service';

/** One handler per command subject; each validates against its proto contract and delegates. */
@Controller()
@UseFilters(RotorRpcExceptionFilter)
export class EndpointCommandsController {
  constructor(private readonly commands: EndpointCommandsService) {}

  @MessagePattern(SUBJECTS.command.registerEndpoint)
  register(@Payload(new ContractPipe('RegisterEndpointRequest')) request: RegisterEndpointRequest) {
    return this.commands.register(request);
  }

  @MessagePattern(SUBJECTS.command.rotateSecret)
  rotate(@Payload(new ContractPipe('RotateSecretRequest')) request: RotateSecretRequest) {
    return this.commands.rotate(request);
  }

  @MessagePattern(SUBJECTS.command.revokePreviousSecret)
  revokePrevious(
    @Payload(new ContractPipe('RevokePreviousSecretRequest')) request: RevokePreviousSecretRequest,
  ) {
    return this.commands.revokePrevious(request);
  }

  @MessagePattern(SUBJECTS.command.expirePreviousSecret)
  expirePrevious(
    @Payload(new ContractPipe('ExpirePreviousSecretRequest')) request: ExpirePreviousSecretRequest,
  ) {
    return this.commands.expirePrevious(request);
  }

  @MessagePattern(SUBJECTS.command.deleteEndpoint)
  delete(@Payload(new ContractPipe('DeleteEndpointRequest')) request: DeleteEndpointRequest) {
    return this.commands.delete(request);
  }
}
