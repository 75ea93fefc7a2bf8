import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class FieldProblemResource {
  @ApiProperty({ example: 'expire_current_in' })
  param!: string;
  @ApiProperty({ example: 'max' })
  code!: string;
  @ApiProperty({ example: 'expire_current_in must not be greater than 86400' })
  detail!: string;
}

/** RFC 9457 problem details, as every error is answered. */
export class ProblemResource {
  @ApiProperty({ format: 'uri', example: 'urn:rotor:problem:rotation_in_progress' })
  type!: string;
  @ApiProperty({ example: 'Conflict' })
  title!: string;
  @ApiProperty({ type: 'integer', example: 409 })
  status!: number;
  @ApiProperty({ example: 'a previous secret is still valid; rotate with force: true' })
  detail!: string;
  @ApiProperty({
    example: '/v1/webhooks/endpoints/we_550e8400e29b41d4a716446655440000/secret/rotate',
  })
  instance!: string;
  @ApiProperty({ example: 'rotation_in_progress' })
  code!: string;
  @ApiPropertyOptional({ description: 'The request field to blame.' })
  param?: string;
  @ApiPropertyOptional({ type: [FieldProblemResource] })
  errors?: FieldProblemResource[];
  @ApiPropertyOptional({ description: 'The X-Request-Id of the request.' })
  request_id?: string;
}
