import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, IsUUID, MaxLength } from 'class-validator';
import { PageQuery } from '#platform';

export class AuditFilterQuery extends PageQuery {
  @ApiPropertyOptional({ example: 'batch' }) @IsOptional() @MaxLength(100)
  entityType?: string;

  @ApiPropertyOptional() @IsOptional() @MaxLength(200)
  entityId?: string;

  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID()
  actorId?: string;

  @ApiPropertyOptional({ example: 'user.updated' }) @IsOptional() @MaxLength(100)
  action?: string;

  @ApiPropertyOptional({ description: 'At or after (ISO 8601)' }) @IsOptional() @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ description: 'At or before (ISO 8601)' }) @IsOptional() @IsISO8601({ strict: true })
  to?: string;

  @ApiPropertyOptional({ enum: ['asc', 'desc'], default: 'asc', description: 'By sequence number' }) @IsOptional() @IsIn(['asc', 'desc'])
  order?: 'asc' | 'desc';
}

/** The export takes the same filters; it is not paginated. */
export type AuditFilter = Pick<AuditFilterQuery, 'entityType' | 'entityId' | 'actorId' | 'action' | 'from' | 'to'>;
