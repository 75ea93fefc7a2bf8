import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ENDPOINT_ID_PATTERN } from '@rotor/domain';
import { PUBLIC_KEY_PATTERN, SIGNING_SCHEMES } from '@rotor/domain';

const PUBLIC_KEY = {
  description: 'Ed25519 only: the public key receivers verify `v1a` signatures with.',
  pattern: PUBLIC_KEY_PATTERN.source,
  example: 'whpk_85mqXqG/3Ls8/3hK5CdqNEzPMRWIbVk2HGp/J7eOGCs=',
};

/**
 * The response shapes of DESIGN §5, for the OpenAPI document (the mapper builds them).
 * snake_case names, RFC 3339 times; a field that may be absent is optional, one that may be
 * null says so.
 */
export class KeyResource {
  @ApiProperty({ example: 'key_01JHB8ZQ4V7W8X9Y0Z1A2B3C4D' })
  key_id!: string;
  @ApiProperty({ enum: ['current', 'previous', 'expired'] })
  status!: 'current' | 'previous' | 'expired';
  @ApiProperty({ format: 'date-time' })
  created_at!: string;
  @ApiPropertyOptional({
    format: 'date-time',
    description: 'When the key stops (or stopped) signing.',
  })
  expires_at?: string;
  @ApiPropertyOptional({
    format: 'date-time',
    description: 'When it stopped signing, once expired.',
  })
  expired_at?: string;
  @ApiPropertyOptional({ enum: ['grace_period_elapsed', 'revoked', 'superseded'] })
  expiry_reason?: string;
  @ApiProperty({
    example: 'whsec_…Ab3d',
    description:
      'whsec_… and the last 4 characters; Ed25519: whpk_… and the last 4 of the public key.',
  })
  hint!: string;
  @ApiProperty({
    example: '9f86d081884c7d65',
    description: 'First 16 hex of SHA-256(secret); Ed25519: of the public key.',
  })
  fingerprint!: string;
  @ApiProperty({
    enum: SIGNING_SCHEMES,
    description: 'hmac-sha256 signs `v1,` with a shared secret; ed25519 signs `v1a,`.',
  })
  signing!: string;
  @ApiPropertyOptional(PUBLIC_KEY)
  public_key?: string;
  @ApiPropertyOptional({
    format: 'date-time',
    description: 'The current key under a rotation policy: when it is due for rotation.',
  })
  rotation_due_at?: string;
  @ApiPropertyOptional({
    description: 'HMAC keys: true once their period ended (rotate by hand; nothing rotates them).',
  })
  rotation_due?: boolean;
}

export class RotationPolicyResource {
  @ApiProperty({ type: 'integer' })
  every_seconds!: number;
  @ApiProperty({ type: 'integer' })
  grace_seconds!: number;
}

export class EndpointResource {
  @ApiProperty({
    example: 'we_550e8400e29b41d4a716446655440000',
    pattern: ENDPOINT_ID_PATTERN.source,
  })
  id!: string;
  @ApiProperty({ type: 'string', nullable: true, format: 'uri' })
  url!: string | null;
  @ApiProperty({ type: 'string', nullable: true })
  description!: string | null;
  @ApiProperty({ enum: ['active', 'deleted'] })
  status!: 'active' | 'deleted';
  @ApiProperty({ format: 'date-time' })
  created_at!: string;
  @ApiProperty({ format: 'date-time' })
  updated_at!: string;
  @ApiProperty({ type: [KeyResource], description: 'Newest first. Never a secret.' })
  keys!: KeyResource[];
  @ApiPropertyOptional({ type: RotationPolicyResource })
  rotation_policy?: RotationPolicyResource;
  @ApiPropertyOptional({
    format: 'date-time',
    description:
      'Under a rotation policy: when the current key is due (Ed25519: Rotor rotates it then; ' +
      'HMAC: a person should).',
  })
  rotation_due_at?: string;
}

export class CreatedEndpointResource extends EndpointResource {
  @ApiProperty({ description: 'The current key.' })
  key_id!: string;
  @ApiPropertyOptional({
    description: 'hmac-sha256 only: the signing secret, shown this once: store it now.',
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  })
  secret?: string;
  @ApiPropertyOptional(PUBLIC_KEY)
  public_key?: string;
}

export class EndpointListResource {
  @ApiProperty({ type: [EndpointResource] })
  data!: EndpointResource[];
  @ApiProperty({
    type: 'string',
    nullable: true,
    description: 'Pass as `cursor` for the next page.',
  })
  next_cursor!: string | null;
}

export class RotationResource {
  @ApiProperty({ description: 'The endpoint id.' })
  id!: string;
  @ApiProperty({ description: 'The new current key.' })
  key_id!: string;
  @ApiPropertyOptional({
    description: 'hmac-sha256 only: the new signing secret, shown this once.',
  })
  secret?: string;
  @ApiPropertyOptional(PUBLIC_KEY)
  public_key?: string;
  @ApiProperty()
  previous_key_id!: string;
  @ApiProperty({ format: 'date-time', description: 'The previous secret signs until then.' })
  previous_secret_expires_at!: string;
}

export class SignatureHeadersResource {
  @ApiProperty({ name: 'webhook-id' })
  'webhook-id'!: string;
  @ApiProperty({ name: 'webhook-timestamp', example: '1737000000' })
  'webhook-timestamp'!: string;
  @ApiProperty({
    name: 'webhook-signature',
    description:
      'One entry per valid key, newest first, space-separated: `v1,<base64>` for an HMAC ' +
      'secret, `v1a,<base64>` for an Ed25519 key.',
  })
  'webhook-signature'!: string;
}

export class SignatureResource {
  @ApiProperty({ type: SignatureHeadersResource })
  headers!: SignatureHeadersResource;
}

export class HistoryEventResource {
  @ApiProperty({ example: 'SecretRotated' })
  type!: string;
  @ApiProperty({ type: 'integer' })
  version!: number;
  @ApiProperty({ format: 'date-time' })
  occurred_at!: string;
  @ApiProperty({ description: 'The API key id or service that caused it.' })
  actor!: string;
  @ApiProperty()
  request_id!: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'The event data, redacted: never a secret or its ciphertext.',
  })
  data!: Record<string, unknown>;
}

export class HistoryResource {
  @ApiProperty({ type: [HistoryEventResource], description: 'Oldest first.' })
  data!: HistoryEventResource[];
  @ApiProperty({
    type: 'string',
    nullable: true,
    description: 'Always null: the history is one page.',
  })
  next_cursor!: string | null;
}

export class PublicKeyResource {
  @ApiProperty({ example: 'key_01JHB8ZQ4V7W8X9Y0Z1A2B3C4D' })
  key_id!: string;
  @ApiProperty(PUBLIC_KEY)
  public_key!: string;
  @ApiProperty({
    enum: ['current', 'previous', 'expired'],
    description:
      'current and previous keys sign; an expired key is listed only while its last ' +
      'signatures may still be verified (300 s, the Standard Webhooks timestamp tolerance).',
  })
  status!: 'current' | 'previous' | 'expired';
  @ApiProperty({ format: 'date-time' })
  created_at!: string;
  @ApiPropertyOptional({
    format: 'date-time',
    description: 'When it stops (or stopped) signing; absent for the current key.',
  })
  expires_at?: string;
}

export class PublicKeyListResource {
  @ApiProperty({ type: [PublicKeyResource], description: 'Newest first.' })
  data!: PublicKeyResource[];
}
