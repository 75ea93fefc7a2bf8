import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class HealthCheckResource {
  @ApiProperty({ enum: ['ok', 'failing'] })
  status!: 'ok' | 'failing';
  @ApiPropertyOptional({ type: 'integer', description: 'Round trip, in ms.' })
  latency_ms?: number;
  @ApiPropertyOptional()
  detail?: string;
}

export class HealthResource {
  @ApiProperty({ enum: ['ok'] })
  status!: 'ok';
  @ApiProperty({
    type: 'object',
    additionalProperties: { $ref: '#/components/schemas/HealthCheckResource' },
    description:
      '`nats` (a request-reply round trip to the query service), `api_keys` (the key view is loaded and watched), and `command`, `projector`, `expiry`, `signer`, `query` (the readiness each service reports: its loops running, its store writable, projection lag bounded; missing or stale is failing).',
  })
  checks!: Record<string, HealthCheckResource>;
}
