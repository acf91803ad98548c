import { Controller, Get, Query, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Roles } from '#platform';
import { AuditQueries } from './audit-queries.service.js';
import { AuditFilterQuery } from './audit-query.dto.js';

/** Review of the audit trail by QA and admins: filter, export, and tamper check. */
@ApiTags('audit')
@ApiBearerAuth()
@Controller('audit')
@Roles('qa_manager', 'admin')
export class AuditController {
  constructor(private readonly audit: AuditQueries) {}

  @Get()
  list(@Query() query: AuditFilterQuery) {
    return this.audit.list(query);
  }

  /** Recomputes every event's hash and checks each links to the one before. */
  @Get('verify')
  verify() {
    return this.audit.verifyChain();
  }

  /** Same filters as the list (limit, offset and order are ignored), as streamed CSV. */
  @Get('export.csv')
  @ApiProduces('text/csv')
  export(@Query() query: AuditFilterQuery): StreamableFile {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    return new StreamableFile(this.audit.exportCsv(query), { type: 'text/csv; charset=utf-8', disposition: `attachment; filename="audit-${stamp}.csv"` });
  }
}
