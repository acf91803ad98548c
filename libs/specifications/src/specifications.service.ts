import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditTrail } from '#audit';
import { type CommandContext, DomainError, type FieldError, TransactionRunner } from '#platform';
import { ESignatures, SignedRecords } from '#signatures';
import { checkCriterion } from './criterion-rules.js';
import { describeCriterion, type CriterionLine } from './criteria.js';
import type { CreateSpecificationDto, CriterionLineDto } from './specification.dto.js';
import { SpecificationRepository, type NewCriterion, type SpecificationRow } from './specification.repository.js';

export type SpecificationView = SpecificationRow & { criteria: (CriterionLine & { expected: string })[] };

/** Versioned product specifications: drafted, made effective by a QA signature, never edited after. */
@Injectable()
export class SpecificationService implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly specs: SpecificationRepository,
    private readonly audit: AuditTrail,
    private readonly signatures: ESignatures,
    private readonly signedRecords: SignedRecords,
  ) {}

  onModuleInit(): void {
    this.signedRecords.register('specification', (em, id) => this.signableRecord(em, id));
  }

  templates() {
    return this.specs.templates(this.dataSource.manager);
  }

  async list(productId: string): Promise<SpecificationRow[]> {
    return this.specs.listFor(this.dataSource.manager, productId);
  }

  async get(id: string, em: EntityManager = this.dataSource.manager): Promise<SpecificationView> {
    const spec = await this.specs.find(em, id);
    if (!spec) throw DomainError.notFound('specification', id);
    const criteria = await this.specs.criteria(em, id);
    return { ...spec, criteria: criteria.map((c) => ({ ...c, expected: describeCriterion(c.criterion) })) };
  }

  async createDraft(ctx: CommandContext, productId: string, dto: CreateSpecificationDto): Promise<SpecificationView> {
    const sources = [dto.fromTemplate, dto.fromSpecificationId, dto.criteria].filter((s) => s !== undefined).length;
    if (sources > 1) throw DomainError.validation([{ field: 'fromTemplate', rule: 'oneSource', message: 'give one of fromTemplate, fromSpecificationId or criteria' }]);
    if (dto.criteria) this.assertCriteria(dto.criteria);
    const id = await this.tx.run(async (tx) => {
      const [product] = await tx.em.query(`SELECT id, name FROM products WHERE id = $1`, [productId]);
      if (!product) throw DomainError.notFound('product', productId);
      let lines: NewCriterion[];
      let basedOnId: string | null = null;
      let title = dto.title;
      if (dto.criteria) {
        lines = dto.criteria.map(toNewCriterion);
      } else if (dto.fromSpecificationId) {
        const base = await this.specs.find(tx.em, dto.fromSpecificationId);
        if (!base || base.productId !== productId) throw DomainError.field('specification.unknown', 'fromSpecificationId', 'exists', 'No specification of this product with that id.');
        lines = (await this.specs.criteria(tx.em, base.id)).map(({ id: _id, ...rest }) => rest);
        basedOnId = base.id;
        title ??= base.title;
      } else {
        const effective = dto.fromTemplate ? null : await this.specs.effectiveFor(tx.em, productId);
        if (effective) {
          lines = (await this.specs.criteria(tx.em, effective.id)).map(({ id: _id, ...rest }) => rest);
          basedOnId = effective.id;
          title ??= effective.title;
        } else {
          const template = await this.specs.template(tx.em, dto.fromTemplate ?? 'misev-default');
          if (!template) throw DomainError.field('specification.unknown_template', 'fromTemplate', 'exists', `No template ${dto.fromTemplate}.`);
          lines = template.criteria;
          title ??= `${product.name}: ${template.title}`;
        }
      }
      const specId = await this.specs.insertDraft(tx.em, { productId, title: title ?? 'Specification', notes: dto.notes ?? null, basedOnId, createdBy: ctx.actor.userId });
      await this.specs.replaceCriteria(tx.em, specId, lines);
      await this.audit.record(tx, ctx, { action: 'specification.drafted', entityType: 'specification', entityId: specId, after: { productId, title, basedOnId, criteria: lines } });
      return specId;
    });
    return this.get(id);
  }

  async replaceCriteria(ctx: CommandContext, id: string, criteria: CriterionLineDto[]): Promise<SpecificationView> {
    this.assertCriteria(criteria);
    await this.tx.run(async (tx) => {
      const spec = await this.specs.find(tx.em, id, true);
      if (!spec) throw DomainError.notFound('specification', id);
      if (spec.status !== 'draft') throw new DomainError('specification.not_draft', `Version ${spec.version} is ${spec.status}; draft a new version to change it.`);
      const before = await this.specs.criteria(tx.em, id);
      const lines = criteria.map(toNewCriterion);
      await this.specs.replaceCriteria(tx.em, id, lines);
      await this.audit.record(tx, ctx, { action: 'specification.criteria_replaced', entityType: 'specification', entityId: id, before: before.map(({ id: _id, ...rest }) => rest), after: lines });
    });
    return this.get(id);
  }

  /** QA signs a draft; it becomes the effective version and the previous one is superseded. */
  async approve(ctx: CommandContext, id: string, password: string, reason?: string): Promise<SpecificationView> {
    const signer = await this.signatures.reauthenticate(ctx, password);
    await this.tx.run(async (tx) => {
      const spec = await this.specs.find(tx.em, id, true);
      if (!spec) throw DomainError.notFound('specification', id);
      if (spec.status !== 'draft') throw new DomainError('specification.not_draft', `Version ${spec.version} is already ${spec.status}.`);
      const record = await this.signableRecord(tx.em, id);
      const signature = await this.signatures.sign(tx, signer, { meaning: 'approved_specification', recordType: 'specification', recordId: id, record, reason });
      await this.specs.makeEffective(tx.em, id, spec.productId, signature.id);
      await this.audit.record(tx, ctx, { action: 'specification.made_effective', entityType: 'specification', entityId: id, before: { status: 'draft' }, after: { status: 'effective', signatureId: signature.id }, reason: reason ?? null });
    });
    return this.get(id);
  }

  /** Lines added, removed or changed between two versions (by assay + parameter + source). */
  async compare(id: string, otherId: string | 'effective'): Promise<unknown> {
    const spec = await this.get(id);
    const otherSpec = otherId === 'effective' ? await this.specs.effectiveFor(this.dataSource.manager, spec.productId) : await this.specs.find(this.dataSource.manager, otherId);
    if (!otherSpec) throw DomainError.notFound('specification', String(otherId));
    const other = await this.get(otherSpec.id);
    const key = (c: CriterionLine) => `${c.assay}|${c.parameter}|${c.appliesToSource ?? '*'}`;
    const mine = new Map(spec.criteria.map((c) => [key(c), c]));
    const theirs = new Map(other.criteria.map((c) => [key(c), c]));
    const changes: unknown[] = [];
    for (const [k, c] of mine) {
      const o = theirs.get(k);
      if (!o) changes.push({ change: 'added', assay: c.assay, parameter: c.parameter, label: c.label, expected: c.expected });
      else if (JSON.stringify([o.criterion, o.required, o.label]) !== JSON.stringify([c.criterion, c.required, c.label])) changes.push({ change: 'changed', assay: c.assay, parameter: c.parameter, label: c.label, from: o.expected, to: c.expected, requiredFrom: o.required, requiredTo: c.required });
    }
    for (const [k, o] of theirs) if (!mine.has(k)) changes.push({ change: 'removed', assay: o.assay, parameter: o.parameter, label: o.label, expected: o.expected });
    return { specification: { id: spec.id, version: spec.version, status: spec.status }, comparedWith: { id: other.id, version: other.version, status: other.status }, changes };
  }

  private async signableRecord(em: EntityManager, id: string): Promise<unknown> {
    const spec = await this.specs.find(em, id);
    if (!spec) return null;
    const criteria = (await this.specs.criteria(em, id)).map(({ id: _id, ...rest }) => rest);
    return { id: spec.id, productId: spec.productId, version: spec.version, title: spec.title, criteria };
  }

  private assertCriteria(criteria: CriterionLineDto[]): void {
    const errors: FieldError[] = criteria.flatMap((c, i) => checkCriterion(c.criterion, `criteria[${i}].criterion`));
    const seen = new Set<string>();
    criteria.forEach((c, i) => {
      const k = `${c.assay}|${c.parameter}|${c.appliesToSource ?? '*'}`;
      if (seen.has(k)) errors.push({ field: `criteria[${i}].parameter`, rule: 'unique', message: `${c.assay} ${c.parameter} appears twice for the same source` });
      seen.add(k);
    });
    if (errors.length) throw DomainError.validation(errors, 'The specification criteria are not valid.');
  }
}

function toNewCriterion(c: CriterionLineDto): NewCriterion {
  return { assay: c.assay, parameter: c.parameter, label: c.label, criterion: c.criterion, appliesToSource: c.appliesToSource ?? null, required: c.required ?? true };
}
