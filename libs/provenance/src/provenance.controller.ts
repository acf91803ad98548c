import { Controller, Get, Header, Param, Query, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public, RateLimit } from '#platform';
import { ProvenanceService } from './provenance.service.js';
import { renderVerifyPage, VERIFY_PAGE_CSP } from './verify-page.js';

export class VerifyPageQuery {
  @ApiPropertyOptional({ description: 'A code to check at once' }) @IsOptional() @IsString() @MaxLength(512)
  code?: string;
}

function wantsJson(request: FastifyRequest): boolean {
  const accept = String(request.headers.accept ?? '');
  return accept.includes('application/json') && !accept.includes('text/html');
}

/** Public provenance lookup: by lot, serial, GS1 Digital Link (as scanned from the label) or element string. */
@ApiTags('provenance')
@Controller()
export class ProvenanceController {
  constructor(private readonly provenance: ProvenanceService) {}

  /** The page for people: enter or scan a code; the verdict in large type with the facts below. */
  @Get('verify')
  @Public()
  @ApiProduces('text/html')
  page(@Query() query: VerifyPageQuery, @Res() reply: FastifyReply) {
    this.sendPage(reply, query.code ?? '');
  }

  /** The verdict and the facts behind it, signed with the lab's Ed25519 key. Rate limited per client address. */
  @Get('verify/:code')
  @Public()
  @RateLimit('verify')
  @Header('cache-control', 'no-store')
  @ApiOkResponse({ description: 'verdict: verified | not_verified, with reason, facts and signature' })
  verify(@Param('code') code: string) {
    return this.provenance.verify(code);
  }

  /** What a phone opens from the label's DataMatrix: the page (or JSON for a clinic system asking for it). */
  @Get('01/:gtin/10/:lot/21/:serial')
  @Public()
  @RateLimit('verify')
  async digitalLinkVial(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    await this.digitalLink(request, reply);
  }

  @Get('01/:gtin/10/:lot')
  @Public()
  @RateLimit('verify')
  async digitalLinkLot(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    await this.digitalLink(request, reply);
  }

  /** The public key that signs verification answers. */
  @Get('.well-known/exolot-verification-key')
  @Public()
  key() {
    return this.provenance.publicKey();
  }

  private async digitalLink(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const link = request.url;
    if (wantsJson(request)) {
      reply.header('cache-control', 'no-store').send(await this.provenance.verify(link));
      return;
    }
    this.sendPage(reply, link);
  }

  private sendPage(reply: FastifyReply, prefill: string): void {
    reply.header('content-type', 'text/html; charset=utf-8').header('content-security-policy', VERIFY_PAGE_CSP).header('cache-control', 'no-cache').send(renderVerifyPage(prefill));
  }
}
