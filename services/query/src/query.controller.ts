import { Controller, UseFilters } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  ContractPipe,
  SUBJECTS,
  type GetEndpointRequest,
  type GetHistoryRequest,
  type GetPublicKeysRequest,
  type ListEndpointsRequest,
  type ListKeysRequest,
} from '@rotor/contracts';
import { RotorRpcExceptionFilter } from '@rotor/runtime';
import { QueryService } from './query.service';

@Controller()
@UseFilters(RotorRpcExceptionFilter)
export class QueryController {
  constructor(private readonly query: QueryService) {}

  @MessagePattern(SUBJECTS.query.getEndpoint)
  getEndpoint(@Payload(new ContractPipe('GetEndpointRequest')) request: GetEndpointRequest) {
    return this.query.getEndpoint(request);
  }

  @MessagePattern(SUBJECTS.query.listEndpoints)
  listEndpoints(@Payload(new ContractPipe('ListEndpointsRequest')) request: ListEndpointsRequest) {
    return this.query.listEndpoints(request);
  }

  @MessagePattern(SUBJECTS.query.listKeys)
  listKeys(@Payload(new ContractPipe('ListKeysRequest')) request: ListKeysRequest) {
    return this.query.listKeys(request);
  }

  @MessagePattern(SUBJECTS.query.getHistory)
  getHistory(@Payload(new ContractPipe('GetHistoryRequest')) request: GetHistoryRequest) {
    return this.query.getHistory(request);
  }

  @MessagePattern(SUBJECTS.query.getPublicKeys)
  getPublicKeys(@Payload(new ContractPipe('GetPublicKeysRequest')) request: GetPublicKeysRequest) {
    return this.query.getPublicKeys(request);
  }
}
