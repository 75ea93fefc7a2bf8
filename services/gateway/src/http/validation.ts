import {
  Injectable,
  ValidationPipe,
  type PipeTransform,
  type ValidationError,
} from '@nestjs/common';
import { ENDPOINT_ID_PATTERN, suppliedSecretProblem } from '@rotor/domain';
import { ValidateBy, type ValidationOptions } from 'class-validator';
import { invalidRequest, type FieldProblem } from './problem';

/** class-validator's errors, flattened: one entry per broken rule, with the field's path. */
export const fieldProblems = (errors: readonly ValidationError[], prefix = ''): FieldProblem[] =>
  errors.flatMap((error) => {
    const param = prefix ? `${prefix}.${error.property}` : error.property;
    const own = Object.entries(error.constraints ?? {}).map(([code, detail]) => ({
      param,
      code: code === 'whitelistValidation' ? 'unknown_field' : code,
      detail: code === 'whitelistValidation' ? `${param} is not a known field` : detail,
    }));
    return [...own, ...fieldProblems(error.children ?? [], param)];
  });

/**
 * Strict input: unknown fields are refused, types are not coerced (a `"true"` is not a
 * boolean), and every refusal is a 422 problem naming its fields.
 */
export const gatewayValidationPipe = (): ValidationPipe =>
  new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    // Every DTO has rules except EmptyBody, which must refuse fields rather than itself.
    forbidUnknownValues: false,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    stopAtFirstError: false,
    exceptionFactory: (errors) => invalidRequest(fieldProblems(errors)),
  });

/** Path ids are checked before anything is sent: `we_` + 32 lowercase hex. */
@Injectable()
export class EndpointIdPipe implements PipeTransform<unknown, string> {
  transform(value: unknown): string {
    if (typeof value === 'string' && ENDPOINT_ID_PATTERN.test(value)) return value;
    throw invalidRequest([
      {
        param: 'id',
        code: 'endpoint_id',
        detail: 'id must be an endpoint id (we_ + 32 lowercase hex characters)',
      },
    ]);
  }
}

/** At most `max` bytes once UTF-8 encoded: what the services count, not UTF-16 units. */
export const MaxUtf8Bytes = (max: number, options?: ValidationOptions): PropertyDecorator =>
  ValidateBy(
    {
      name: 'maxUtf8Bytes',
      constraints: [max],
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && Buffer.byteLength(value, 'utf8') <= max,
        defaultMessage: (args) =>
          `${args?.property ?? 'value'} must be at most ${max} bytes (UTF-8)`,
      },
    },
    options,
  );

/**
 * A supplied `whsec_` secret (import), by the domain's one rule. The message names the
 * field and what is wrong, never the value (`validationError.value` is off as well).
 */
export const IsSuppliedSecret = (options?: ValidationOptions): PropertyDecorator =>
  ValidateBy(
    {
      name: 'suppliedSecret',
      validator: {
        validate: (value: unknown) => suppliedSecretProblem(value) === undefined,
        defaultMessage: (args) => suppliedSecretProblem(args?.value) ?? 'secret is not valid',
      },
    },
    options,
  );
