import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditTrail } from '#audit';
import { Credentials } from '#identity';
import { type CommandContext, DomainError, isSystemActor, type Page, type Role, type Tx } from '#platform';
import { canonicalJson, sha256Hex } from './canonical.js';
import { isSignatureMeaning, MEANING_TEXT, type SignatureMeaning } from './meanings.js';
import { SignedRecords } from './signed-records.js';

/** A person who has just re-entered their password; only ESignatures.reauthenticate makes these. */
export interface Signer {
  readonly userId: string;
  readonly printedName: string;
  readonly role: Role;
  readonly clinicId: string | null;
  readonly sessionId: string;
  readonly requestId: string;
  readonly authenticatedAt: number;
}

export interface SignInput {
  meaning: SignatureMeaning;
  recordType: string;
  recordId: string;
  /** The exact version being signed. Omit it to sign what the registered loader returns inside `tx`. */
  record?: unknown;
  reason?: string | null;
}

export interface Signature {
  id: string;
  signerId: string;
  printedName: string;
  signerRole: Role;
  meaning: SignatureMeaning;
  meaningText: string;
  signedAt: string;
  reason: string | null;
  recordType: string;
  recordId: string;
  recordHash: string;
  /** The signature as shown to people: name, date and time, meaning. */
  manifestation: string;
}

export type SignatureCheck = 'matches' | 'record_changed' | 'record_not_found' | 'no_loader';
export type VerifiedSignature = Signature & { valid: boolean | null; check: SignatureCheck; currentRecordHash: string | null };

/** A re-authentication is good for one command, started within this time. */
const SIGNER_TTL_MS = 5 * 60_000;
const issued = new WeakSet<Signer>();

const SIGNATURE_COLUMNS = `id, signer_id AS "signerId", printed_name AS "printedName", signer_role AS "signerRole", meaning, signed_at AS "signedAt",
  reason, record_type AS "recordType", record_id AS "recordId", record_hash AS "recordHash"`;

/**
 * Electronic signatures (21 CFR 11.50, 11.70, 11.200; Annex 11 §14), in two steps because a
 * failed password must be counted even though the command then writes nothing, and because
 * with the embedded database nothing may query outside a transaction while it is open:
 *
 *   const signer = await eSignatures.reauthenticate(ctx, dto.password);   // before the transaction
 *   await tx.run(async (tx) => {
 *     ...the state change...
 *     await eSignatures.sign(tx, signer, { meaning: 'approved_for_release', recordType: 'batch_release', recordId });
 *   });
 */
@Injectable()
export class ESignatures {
  constructor(
    private readonly dataSource: DataSource,
    private readonly credentials: Credentials,
    private readonly records: SignedRecords,
    private readonly audit: AuditTrail,
  ) {}

  /**
   * Re-checks the signed-in user's password. A wrong password is a 401
   * auth.invalid_credentials and counts towards lockout; a locked account is a 423.
   * Call it before opening the command's transaction.
   */
  async reauthenticate(ctx: CommandContext, password: string): Promise<Signer> {
    if (isSystemActor(ctx.actor)) throw new DomainError('auth.forbidden', 'Only a person can sign.');
    if (typeof password !== 'string' || password.length === 0) {
      throw DomainError.field('validation.failed', 'password', 'isNotEmpty', 'Enter your password to sign.');
    }
    const user = await this.credentials.verifyById(ctx.actor.userId, password, ctx.requestId, 'signature');
    const signer: Signer = Object.freeze({
      userId: user.id,
      printedName: user.displayName,
      role: user.role,
      clinicId: user.clinicId,
      sessionId: ctx.actor.sessionId,
      requestId: ctx.requestId,
      authenticatedAt: Date.now(),
    });
    issued.add(signer);
    return signer;
  }

  /**
   * Signs one record inside the caller's transaction: stores the signer's printed name, role,
   * meaning, time (set by the database), reason, and the canonical JSON of the record with its
   * SHA-256, and writes one audit event. The signature row can never be changed or removed.
   */
  async sign(tx: Tx, signer: Signer, input: SignInput): Promise<Signature> {
    if (!issued.has(signer)) throw new Error('sign() needs a Signer from ESignatures.reauthenticate()');
    if (Date.now() - signer.authenticatedAt > SIGNER_TTL_MS) {
      throw new DomainError('auth.reauthentication_expired', 'The password was entered too long ago; sign again.');
    }
    if (!isSignatureMeaning(input.meaning)) throw new Error(`unknown signature meaning "${String(input.meaning)}"`);
    if (!this.records.has(input.recordType)) throw new Error(`no signed-record loader registered for "${input.recordType}"`);
    const current = await this.records.load(tx.em, input.recordType, input.recordId);
    if (current === null) throw DomainError.notFound(input.recordType, input.recordId);
    const recordJson = canonicalJson(current);
    if (input.record !== undefined && canonicalJson(input.record) !== recordJson) {
      // Signing something other than what verification will load would make a signature that can never verify.
      throw new Error(`the record given to sign() differs from what the "${input.recordType}" loader returns`);
    }
    const [row] = await tx.em.query(
      `INSERT INTO signatures (signer_id, printed_name, signer_role, meaning, reason, record_type, record_id, record_hash, record_json, session_id, request_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING ${SIGNATURE_COLUMNS}`,
      [signer.userId, signer.printedName, signer.role, input.meaning, input.reason ?? null, input.recordType, input.recordId, sha256Hex(recordJson), recordJson, signer.sessionId || null, signer.requestId],
    );
    const signature = present(row);
    const ctx: CommandContext = {
      actor: { userId: signer.userId, displayName: signer.printedName, role: signer.role, clinicId: signer.clinicId, sessionId: signer.sessionId },
      requestId: signer.requestId,
    };
    await this.audit.record(tx, ctx, {
      action: 'signature.signed',
      entityType: input.recordType,
      entityId: input.recordId,
      after: { signatureId: signature.id, meaning: signature.meaning, printedName: signature.printedName, signedAt: signature.signedAt, recordHash: signature.recordHash },
      reason: input.reason ?? null,
    });
    return signature;
  }

  /** Signatures, newest last, each checked against the record as it is now. */
  async list(filter: { recordType?: string; recordId?: string; signerId?: string; meaning?: SignatureMeaning; limit: number; offset: number }): Promise<Page<VerifiedSignature>> {
    const where = `($1::text IS NULL OR record_type = $1) AND ($2::text IS NULL OR record_id = $2) AND ($3::uuid IS NULL OR signer_id = $3) AND ($4::text IS NULL OR meaning = $4)`;
    const params = [filter.recordType ?? null, filter.recordId ?? null, filter.signerId ?? null, filter.meaning ?? null];
    const [{ total }] = await this.dataSource.query(`SELECT count(*)::int AS total FROM signatures WHERE ${where}`, params);
    const rows = await this.dataSource.query(`SELECT ${SIGNATURE_COLUMNS} FROM signatures WHERE ${where} ORDER BY signed_at, id LIMIT $5 OFFSET $6`, [...params, filter.limit, filter.offset]);
    const items: VerifiedSignature[] = [];
    for (const row of rows) items.push(await this.verify(present(row)));
    return { items, total, limit: filter.limit, offset: filter.offset };
  }

  /** One signature with the exact record that was signed (its canonical JSON, parsed). */
  async get(id: string): Promise<VerifiedSignature & { signedRecord: unknown }> {
    const [row] = await this.dataSource.query(`SELECT ${SIGNATURE_COLUMNS}, record_json AS "recordJson" FROM signatures WHERE id = $1`, [id]);
    if (!row) throw DomainError.notFound('signature', id);
    const { recordJson, ...rest } = row;
    return { ...(await this.verify(present(rest))), signedRecord: JSON.parse(recordJson) };
  }

  /** Is the signed record still exactly the version that was signed? */
  async verify(signature: Signature): Promise<VerifiedSignature> {
    if (!this.records.has(signature.recordType)) return { ...signature, valid: null, check: 'no_loader', currentRecordHash: null };
    const current = await this.records.load(this.dataSource.manager, signature.recordType, signature.recordId);
    if (current === null) return { ...signature, valid: false, check: 'record_not_found', currentRecordHash: null };
    const currentRecordHash = sha256Hex(canonicalJson(current));
    const valid = currentRecordHash === signature.recordHash;
    return { ...signature, valid, check: valid ? 'matches' : 'record_changed', currentRecordHash };
  }
}

function present(row: Omit<Signature, 'meaningText' | 'manifestation' | 'signedAt'> & { signedAt: Date | string }): Signature {
  const signedAt = new Date(row.signedAt).toISOString();
  const meaningText = MEANING_TEXT[row.meaning] ?? row.meaning;
  return {
    ...row,
    signedAt,
    meaningText,
    manifestation: `${row.printedName} (${row.signerRole}), ${signedAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}: ${meaningText}`,
  };
}
