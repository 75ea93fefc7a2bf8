import { Controller, UseFilters } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { ContractPipe, SUBJECTS, type SignBatchRequest, type SignRequest } from '@rotor/contracts';
import { RotorRpcExceptionFilter } from '@rotor/runtime';
import { SignerService } from './signer.service';

@Controller()
@UseFilters(RotorRpcExceptionFilter)
export class SignerController {
  constructor(private readonly signer: SignerService) {}

  @MessagePattern(SUBJECTS.signer.sign)
  sign(@Payload(new ContractPipe('SignRequest')) request: SignRequest) {
    return this.signer.sign(request);
  }

  @MessagePattern(SUBJECTS.signer.signBatch)
  signBatch(@Payload(new ContractPipe('SignBatchRequest')) request: SignBatchRequest) {
    return this.signer.signBatch(request);
  }
}
