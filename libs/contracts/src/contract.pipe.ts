import type { ArgumentMetadata, PipeTransform } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { invalidRequest } from './errors';
import type { MessageName, RotorMessages } from './generated/rotor.v1';
import { validateMessage } from './validation';

/** RpcParamtype.PAYLOAD, which @nestjs/microservices does not export. */
const RPC_PAYLOAD = 3;

/**
 * Validates an RPC payload against its proto message:
 * `handle(@Payload(new ContractPipe('RotateSecretRequest')) request: RotateSecretRequest)`.
 * A bad payload throws `RpcException(ErrorReply)` (422 invalid_request, one FieldError per
 * field), so the caller gets the contract's error shape; NestJS's ValidationPipe throws an
 * HttpException, which the RPC exception filter turns into "Internal server error".
 * Applied with @UsePipes, it leaves the other parameters (`@Ctx()`) alone.
 */
export class ContractPipe<N extends MessageName> implements PipeTransform<
  unknown,
  RotorMessages[N]
> {
  constructor(readonly messageName: N) {}

  transform(value: unknown, metadata?: ArgumentMetadata): RotorMessages[N] {
    if (metadata && !isPayload(metadata)) return value as RotorMessages[N];
    const result = validateMessage(this.messageName, value);
    if (result.ok) return result.value;
    const [first] = result.errors;
    const more = result.errors.length > 1 ? ` (and ${result.errors.length - 1} more)` : '';
    const where = first.field ? `${first.field} ` : '';
    throw new RpcException(
      invalidRequest(`invalid ${this.messageName}: ${where}${first.message}${more}`, result.errors),
    );
  }
}

const isPayload = ({ type }: ArgumentMetadata): boolean =>
  typeof type === 'number' ? type === RPC_PAYLOAD : type !== 'custom';
