import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  DEFAULT_GRACE_PERIOD_SECONDS,
  DEFAULT_SIGNING_SCHEME,
  EXTERNAL_ID_PATTERN,
  MAX_GRACE_PERIOD_SECONDS,
  MAX_SUPPLIED_SECRET_BYTES,
  MIN_SUPPLIED_SECRET_BYTES,
  MAX_ROTATION_EVERY_SECONDS,
  MIN_ROTATION_EVERY_SECONDS,
  SIGNING_SCHEMES,
  type SigningScheme,
} from '@rotor/domain';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Length,
  Matches,
  Max,
  Min,
  IsObject,
  ValidateNested,
} from 'class-validator';
import { IsSuppliedSecret, MaxUtf8Bytes } from '../http/validation';

const SIGNING = {
  description:
    'How deliveries are signed: hmac-sha256 (a whsec_ secret shared with the receiver, `v1,` ' +
    'signatures) or ed25519 (a private key Rotor keeps sealed; receivers verify `v1a,` ' +
    'signatures with its whpk_ public key).',
  enum: SIGNING_SCHEMES,
  default: DEFAULT_SIGNING_SCHEME,
};

export class RotationPolicyBody {
  @ApiProperty({
    description: 'A new key this many seconds after the current one was made.',
    type: 'integer',
    minimum: MIN_ROTATION_EVERY_SECONDS,
    maximum: MAX_ROTATION_EVERY_SECONDS,
    example: 2_592_000,
  })
  @IsInt()
  @Min(MIN_ROTATION_EVERY_SECONDS)
  @Max(MAX_ROTATION_EVERY_SECONDS)
  every_seconds!: number;

  @ApiProperty({
    description: 'How long the old key keeps signing after a scheduled rotation (< every_seconds).',
    type: 'integer',
    minimum: 0,
    maximum: MAX_GRACE_PERIOD_SECONDS,
    example: 86_400,
  })
  @IsInt()
  @Min(0)
  @Max(MAX_GRACE_PERIOD_SECONDS)
  grace_seconds!: number;
}

const SUPPLIED_SECRET = {
  description:
    `Import: use this secret instead of a generated one (whsec_ + base64 of ` +
    `${MIN_SUPPLIED_SECRET_BYTES} to ${MAX_SUPPLIED_SECRET_BYTES} bytes). HMAC only (with ` +
    'signing ed25519: 422). Sealed like a generated one and never returned: the response ' +
    "shows the key's hint and fingerprint.",
  example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  writeOnly: true,
};

const EXTERNAL_ID = {
  description: "The platform's own id for the endpoint: 1 to 128 printable ASCII characters.",
  pattern: EXTERNAL_ID_PATTERN.source,
  maxLength: 128,
  example: 'cust_42/hook_7',
};

const externalIdRule = Matches(EXTERNAL_ID_PATTERN, {
  message: 'external_id must be 1 to 128 printable ASCII characters',
});

/**
 * The request bodies and query of DESIGN §5. Field names are the REST ones (snake_case);
 * bounds match the wire contracts in proto/, so what passes here passes the services.
 */
export class RegisterEndpointBody {
  @ApiProperty({
    description: 'Where the webhooks go: an absolute http(s) URL.',
    format: 'uri',
    maxLength: 2048,
    example: 'https://example.com/webhooks',
  })
  @IsString()
  @MaxUtf8Bytes(2048)
  @IsUrl(
    {
      protocols: ['http', 'https'],
      require_protocol: true,
      require_tld: false,
      allow_underscores: true,
    },
    { message: 'url must be an absolute http or https URL' },
  )
  url!: string;

  @ApiPropertyOptional({ maxLength: 1024, example: 'Orders service, production' })
  @IsOptional()
  @IsString()
  @MaxUtf8Bytes(1024)
  description?: string;

  @ApiPropertyOptional(SIGNING)
  @IsOptional()
  @IsIn(SIGNING_SCHEMES, { message: `signing must be one of ${SIGNING_SCHEMES.join(', ')}` })
  signing?: SigningScheme;

  @ApiPropertyOptional({
    type: RotationPolicyBody,
    description:
      'Scheduled rotation: an Ed25519 endpoint is rotated by Rotor (actor rotor-scheduler) ' +
      'every every_seconds; an HMAC endpoint is only marked due (rotation_due_at).',
  })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => RotationPolicyBody)
  rotation_policy?: RotationPolicyBody;

  @ApiPropertyOptional(SUPPLIED_SECRET)
  @IsOptional()
  @IsSuppliedSecret()
  secret?: string;

  @ApiPropertyOptional({
    ...EXTERNAL_ID,
    description:
      `${EXTERNAL_ID.description} Kept on the endpoint and searchable ` +
      '(`GET /v1/webhooks/endpoints?external_id=`); one endpoint per external id and tenant ' +
      '(a second registration of it: 409 endpoint_already_exists).',
  })
  @IsOptional()
  @IsString()
  @externalIdRule
  external_id?: string;
}

/** A route without parameters still refuses unknown fields. */
export class EmptyBody {}

export class RotateSecretBody {
  @ApiPropertyOptional({
    description:
      'Seconds the current secret keeps signing after the rotation (0 ends it now). Out of range: 422 invalid_grace_period.',
    minimum: 0,
    maximum: MAX_GRACE_PERIOD_SECONDS,
    default: DEFAULT_GRACE_PERIOD_SECONDS,
    type: 'integer',
  })
  @IsOptional()
  // The range is the domain's rule (422 invalid_grace_period), answered the same over REST
  // and NATS; only the type is checked here.
  @IsInt()
  expire_current_in?: number;

  @ApiPropertyOptional({
    description:
      'Rotate even while a previous secret is still valid: that older secret is expired first.',
    default: false,
  })
  @IsOptional()
  @IsBoolean()
  force?: boolean;

  @ApiPropertyOptional({
    ...SIGNING,
    description:
      "The new key's scheme; default: the current key's. Another scheme switches the endpoint: " +
      'during the grace period every delivery carries both a `v1,` and a `v1a,` signature.',
    default: undefined,
  })
  @IsOptional()
  @IsIn(SIGNING_SCHEMES, { message: `signing must be one of ${SIGNING_SCHEMES.join(', ')}` })
  signing?: SigningScheme;

  @ApiPropertyOptional({
    ...SUPPLIED_SECRET,
    description:
      'Rotate to this secret instead of a generated one (whsec_ + base64 of ' +
      `${MIN_SUPPLIED_SECRET_BYTES} to ${MAX_SUPPLIED_SECRET_BYTES} bytes): HMAC only; ` +
      'never returned.',
  })
  @IsOptional()
  @IsSuppliedSecret()
  secret?: string;
}

export const MSG_ID_PATTERN = /^[\x21-\x7e]{1,256}$/;
/** 9999-12-31T23:59:59Z: a timestamp beyond it is a mistake, not a date. */
export const MAX_TIMESTAMP = 253_402_300_799;

export class CreateSignatureBody {
  @ApiProperty({
    description: 'The exact request body to sign, as a string (signed as its UTF-8 bytes).',
    maxLength: 1_048_576,
    example: '{"type":"order.paid","id":"ord_123"}',
  })
  @IsString()
  @MaxUtf8Bytes(1_048_576)
  payload!: string;

  @ApiPropertyOptional({
    description: 'The `webhook-id` header. Default: a fresh `msg_` id.',
    pattern: MSG_ID_PATTERN.source,
    maxLength: 256,
  })
  @IsOptional()
  @IsString()
  @Matches(MSG_ID_PATTERN, {
    message: 'msg_id must be 1 to 256 printable ASCII characters, no spaces',
  })
  msg_id?: string;

  @ApiPropertyOptional({
    description: 'The `webhook-timestamp` header, Unix seconds. Default: now.',
    type: 'integer',
    minimum: 0,
    maximum: MAX_TIMESTAMP,
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_TIMESTAMP)
  timestamp?: number;
}

/** Query strings are text: only plain decimal digits become a number. */
const strictInteger = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : value;

export class ListEndpointsQuery {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Transform(strictInteger)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({ description: 'The `next_cursor` of the previous page.', maxLength: 1024 })
  @IsOptional()
  @IsString()
  @Length(1, 1024)
  cursor?: string;

  @ApiPropertyOptional({
    ...EXTERNAL_ID,
    description: 'Only the endpoint registered with this external id.',
  })
  @IsOptional()
  @IsString()
  @externalIdRule
  external_id?: string;
}
