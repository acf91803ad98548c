import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsOptional, IsString, Length, Matches } from 'class-validator';
import { type CommandContext, Ctx, Roles, UuidPipe } from '#platform';
import { RecallService } from './recalls.service.js';

export class CreateRecallDto {
  @ApiProperty({ example: 'L2611-00001' }) @Matches(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,19}$/, { message: 'lotNumber must be a lot number (1-20 characters)' })
  lotNumber: string;

  @ApiPropertyOptional({ type: [String], description: 'Recall only these vials of the lot; omit to recall the whole lot' })
  @IsOptional() @IsArray() @ArrayMinSize(1) @ArrayMaxSize(10000) @Matches(/^[0-9A-Z]{8,20}$/, { each: true, message: 'each serial must be 8-20 upper-case letters or digits' })
  vialSerials?: string[];

  @ApiProperty() @IsString() @Length(3, 2000)
  reason: string;

  @ApiProperty({ description: 'The QA manager re-enters their password to sign the recall' }) @IsString() @Length(1, 200)
  password: string;
}

@ApiTags('recalls')
@Controller('recalls')
export class RecallsController {
  constructor(private readonly recalls: RecallService) {}

  /** Recall a lot, or specific vials, with an e-signature. Lookups show "recalled" at once. */
  @Post()
  @HttpCode(201)
  @Roles('qa_manager')
  create(@Ctx() ctx: CommandContext, @Body() dto: CreateRecallDto) {
    return this.recalls.recall(ctx, dto);
  }

  @Get()
  @Roles('technician', 'qa_manager')
  list() {
    return this.recalls.list();
  }

  @Get(':id')
  @Roles('technician', 'qa_manager')
  get(@Param('id', UuidPipe) id: string) {
    return this.recalls.get(id);
  }
}
