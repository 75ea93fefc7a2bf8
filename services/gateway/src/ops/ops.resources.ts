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
      '`services` (a request-reply round trip over NATS), `event_store` (a read through the query service), `api_keys` (the key view is loaded).',
  })
  checks!: Record<string, HealthCheckResource>;
}
