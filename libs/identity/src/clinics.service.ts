import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditTrail } from '#audit';
import { type CommandContext, DomainError, TransactionRunner } from '#platform';
import type { CreateClinicDto } from './users.dto.js';

export interface ClinicView {
  id: string;
  code: string;
  name: string;
  country: string | null;
  active: boolean;
  createdAt: string;
}

/** What lab staff see of a clinic to address a shipment: the organisation, nothing else. */
export type ClinicDirectoryEntry = Pick<ClinicView, 'id' | 'code' | 'name' | 'country' | 'active'>;

const CLINIC_COLUMNS = `id, code, name, country, active, created_at AS "createdAt"`;

/** The clinics that receive product; each clinic user belongs to one. */
@Injectable()
export class ClinicAdministration {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly audit: AuditTrail,
  ) {}

  list(): Promise<ClinicView[]> {
    return this.dataSource.query(`SELECT ${CLINIC_COLUMNS} FROM clinics ORDER BY code`);
  }

  /** Every clinic by code, with only the directory fields (no audit dates, no users). */
  directory(): Promise<ClinicDirectoryEntry[]> {
    return this.dataSource.query(`SELECT id, code, name, country, active FROM clinics ORDER BY code`);
  }

  async create(ctx: CommandContext, dto: CreateClinicDto): Promise<ClinicView> {
    return this.tx.run(async (tx) => {
      const [taken] = await tx.em.query(`SELECT 1 FROM clinics WHERE code = $1`, [dto.code]);
      if (taken) throw DomainError.field('clinic.already_exists', 'code', 'unique', 'A clinic with this code already exists.');
      const [row] = await tx.em.query(`INSERT INTO clinics (code, name, country) VALUES ($1, $2, $3) RETURNING ${CLINIC_COLUMNS}`, [dto.code, dto.name.trim(), dto.country ?? null]);
      await this.audit.record(tx, ctx, { action: 'clinic.created', entityType: 'clinic', entityId: row.id, after: row });
      return row;
    });
  }
}
