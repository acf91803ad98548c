import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Assay, Criterion, CriterionLine } from './criteria.js';

export interface SpecificationRow {
  id: string;
  productId: string;
  version: number;
  status: 'draft' | 'effective' | 'superseded';
  title: string;
  notes: string | null;
  basedOnId: string | null;
  createdBy: string | null;
  createdAt: string;
  effectiveAt: string | null;
  approvalSignatureId: string | null;
}

export interface NewCriterion {
  assay: Assay;
  parameter: string;
  label: string;
  criterion: Criterion;
  appliesToSource: 'cell_culture_media' | 'serum' | null;
  required: boolean;
}

const SPEC_COLUMNS = `id, product_id AS "productId", version, status, title, notes, based_on_id AS "basedOnId", created_by AS "createdBy",
  created_at AS "createdAt", effective_at AS "effectiveAt", approval_signature_id AS "approvalSignatureId"`;

/** Specification I/O; every method joins the caller's transaction through its EntityManager. */
@Injectable()
export class SpecificationRepository {
  async find(em: EntityManager, id: string, lock = false): Promise<SpecificationRow | null> {
    const [row] = await em.query(`SELECT ${SPEC_COLUMNS} FROM specifications WHERE id = $1 ${lock ? 'FOR UPDATE' : ''}`, [id]);
    return row ?? null;
  }

  async effectiveFor(em: EntityManager, productId: string): Promise<SpecificationRow | null> {
    const [row] = await em.query(`SELECT ${SPEC_COLUMNS} FROM specifications WHERE product_id = $1 AND status = 'effective'`, [productId]);
    return row ?? null;
  }

  async listFor(em: EntityManager, productId: string): Promise<SpecificationRow[]> {
    return em.query(`SELECT ${SPEC_COLUMNS} FROM specifications WHERE product_id = $1 ORDER BY version DESC`, [productId]);
  }

  async criteria(em: EntityManager, specificationId: string): Promise<CriterionLine[]> {
    return em.query(
      `SELECT id, assay, parameter, label, criterion, applies_to_source AS "appliesToSource", required
         FROM specification_criteria WHERE specification_id = $1 ORDER BY position`,
      [specificationId],
    );
  }

  async insertDraft(em: EntityManager, row: { productId: string; title: string; notes: string | null; basedOnId: string | null; createdBy: string }): Promise<string> {
    // Lock the product's versions so two drafts started at once get different numbers.
    await em.query(`SELECT id FROM products WHERE id = $1 FOR UPDATE`, [row.productId]);
    const [{ next }] = await em.query(`SELECT coalesce(max(version), 0) + 1 AS next FROM specifications WHERE product_id = $1`, [row.productId]);
    const [{ id }] = await em.query(
      `INSERT INTO specifications (product_id, version, status, title, notes, based_on_id, created_by) VALUES ($1, $2, 'draft', $3, $4, $5, $6) RETURNING id`,
      [row.productId, next, row.title, row.notes, row.basedOnId, row.createdBy],
    );
    return id;
  }

  async replaceCriteria(em: EntityManager, specificationId: string, lines: NewCriterion[]): Promise<void> {
    await em.query(`DELETE FROM specification_criteria WHERE specification_id = $1`, [specificationId]);
    if (lines.length === 0) return;
    await em.query(
      `INSERT INTO specification_criteria (specification_id, position, assay, parameter, label, criterion, applies_to_source, required)
       SELECT $1, ord, l->>'assay', l->>'parameter', l->>'label', l->'criterion', l->>'appliesToSource', (l->>'required')::boolean
         FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS t(l, ord)`,
      [specificationId, JSON.stringify(lines)],
    );
  }

  async template(em: EntityManager, code: string): Promise<{ code: string; title: string; criteria: NewCriterion[] } | null> {
    const [row] = await em.query(`SELECT code, title, criteria FROM specification_templates WHERE code = $1`, [code]);
    return row ?? null;
  }

  async templates(em: EntityManager): Promise<{ code: string; title: string; criteria: NewCriterion[] }[]> {
    return em.query(`SELECT code, title, criteria FROM specification_templates ORDER BY code`);
  }

  async makeEffective(em: EntityManager, id: string, productId: string, signatureId: string): Promise<void> {
    await em.query(`UPDATE specifications SET status = 'superseded' WHERE product_id = $1 AND status = 'effective'`, [productId]);
    await em.query(`UPDATE specifications SET status = 'effective', effective_at = now(), approval_signature_id = $2 WHERE id = $1`, [id, signatureId]);
  }
}
