import { Body, Controller, Get, Injectable, Param, Post } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Length, Matches, Max, MaxLength, Min } from 'class-validator';
import { DataSource } from 'typeorm';
import { AuditTrail } from '#audit';
import { type CommandContext, Ctx, DomainError, Roles, TransactionRunner, UuidPipe } from '#platform';

export class CreateProductDto {
  @ApiProperty({ example: 'EXO-MSC-AD' }) @IsString() @Matches(/^[A-Z0-9][A-Z0-9-]{1,31}$/, { message: 'code must be 2-32 upper-case letters, digits or dashes' })
  code: string;

  @ApiProperty({ example: 'Adipose MSC exosome serum' }) @IsString() @Length(2, 200)
  name: string;

  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(2000)
  description?: string;

  @ApiProperty({ example: 365, description: 'Shelf life from fill, in days' }) @IsInt() @Min(1) @Max(3650)
  shelfLifeDays: number;

  @ApiPropertyOptional({ example: '09506000134352', description: 'GTIN-14 for GS1 labels' }) @IsOptional() @Matches(/^[0-9]{14}$/, { message: 'gtin must be 14 digits' })
  gtin?: string;

  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(500)
  storageInstructions?: string;
}

const PRODUCT_COLUMNS = `id, code, name, description, shelf_life_days AS "shelfLifeDays", gtin, storage_instructions AS "storageInstructions", created_at AS "createdAt"`;

@Injectable()
export class ProductService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly audit: AuditTrail,
  ) {}

  list(): Promise<unknown[]> {
    return this.dataSource.query(`SELECT ${PRODUCT_COLUMNS} FROM products ORDER BY code`);
  }

  async get(id: string): Promise<unknown> {
    const [row] = await this.dataSource.query(`SELECT ${PRODUCT_COLUMNS} FROM products WHERE id = $1`, [id]);
    if (!row) throw DomainError.notFound('product', id);
    return row;
  }

  async create(ctx: CommandContext, dto: CreateProductDto): Promise<unknown> {
    return this.tx.run(async (tx) => {
      const clash = await tx.em.query(`SELECT code, gtin FROM products WHERE code = $1 OR (gtin IS NOT NULL AND gtin = $2)`, [dto.code, dto.gtin ?? null]);
      if (clash.length) {
        const field = clash[0].code === dto.code ? 'code' : 'gtin';
        throw DomainError.field('product.already_exists', field, 'unique', `A product with this ${field} already exists.`);
      }
      const [row] = await tx.em.query(
        `INSERT INTO products (code, name, description, shelf_life_days, gtin, storage_instructions)
         VALUES ($1, $2, $3, $4, $5, coalesce($6, 'Store frozen at -80 °C. Thaw once; do not refreeze.')) RETURNING ${PRODUCT_COLUMNS}`,
        [dto.code, dto.name, dto.description ?? null, dto.shelfLifeDays, dto.gtin ?? null, dto.storageInstructions ?? null],
      );
      await this.audit.record(tx, ctx, { action: 'product.created', entityType: 'product', entityId: row.id, after: row });
      return row;
    });
  }
}

@ApiTags('products')
@Controller('products')
export class ProductsController {
  constructor(private readonly products: ProductService) {}

  @Get()
  @Roles('technician', 'qa_manager')
  list() {
    return this.products.list();
  }

  @Get(':id')
  @Roles('technician', 'qa_manager')
  get(@Param('id', UuidPipe) id: string) {
    return this.products.get(id);
  }

  /** Product master data is QA-controlled. */
  @Post()
  @Roles('qa_manager')
  create(@Ctx() ctx: CommandContext, @Body() dto: CreateProductDto) {
    return this.products.create(ctx, dto);
  }
}
