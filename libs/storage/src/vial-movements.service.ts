import { Injectable } from '@nestjs/common';
import { type CommandContext, DomainError, TransactionRunner, type Tx } from '#platform';
import { Custody, type CustodyEntry, type Position, type VialRow } from './custody.js';
import type { PositionDto } from './storage.dto.js';

/** "B3": row letter, column number. */
export const positionLabel = (row: number, col: number) => `${String.fromCharCode(64 + row)}${col}`;

interface BoxRow { id: string; code: string; rows: number; cols: number }

/** Storing, moving (one or many), retrieving, thawing and destroying vials, by scanned serial. */
@Injectable()
export class VialMovements {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly custody: Custody,
  ) {}

  /**
   * Stores vials not yet in a box and moves vials already in one; all or nothing. `only`
   * insists on one kind (the single store and move routes).
   */
  async place(ctx: CommandContext, moves: PositionDto[], only?: 'stored' | 'moved'): Promise<{ serial: string; event: string; boxId: string; row: number; col: number; position: string }[]> {
    const serials = moves.map((m) => m.serial.toUpperCase());
    const dup = serials.find((s, i) => serials.indexOf(s) !== i);
    if (dup) throw DomainError.validation([{ field: 'moves', rule: 'uniqueSerial', message: `vial ${dup} appears more than once` }]);
    return this.tx.run(async (tx) => {
      const boxes = await this.lockBoxes(tx, moves.map((m) => m.boxId));
      const vials = await this.custody.lockBySerials(tx.em, serials);
      const bySerial = new Map(vials.map((v) => [v.serial, v]));
      const targets = new Map<string, string>();
      for (const move of moves) {
        const box = boxes.get(move.boxId)!;
        if (move.row > box.rows || move.col > box.cols) {
          throw DomainError.field('storage.position_outside_box', 'row', 'insideBox', `Box ${box.code} has ${box.rows} rows × ${box.cols} columns; ${positionLabel(move.row, move.col)} is outside it.`);
        }
        const key = `${move.boxId}/${move.row}/${move.col}`;
        if (targets.has(key)) throw new DomainError('storage.position_occupied', `Position ${positionLabel(move.row, move.col)} of box ${box.code} is the target of both ${targets.get(key)} and ${move.serial.toUpperCase()}.`, { boxCode: box.code, row: move.row, col: move.col });
        targets.set(key, move.serial.toUpperCase());
        const vial = bySerial.get(move.serial.toUpperCase())!;
        if (vial.boxId === move.boxId && vial.row === move.row && vial.col === move.col) {
          throw DomainError.field('storage.same_position', 'moves', 'differentPosition', `Vial ${vial.serial} is already at ${positionLabel(move.row, move.col)} of box ${box.code}.`);
        }
      }
      await this.refuseOccupied(tx, moves, new Set(vials.map((v) => v.id)), boxes);
      const entries: CustodyEntry[] = moves.map((m) => {
        const vial = bySerial.get(m.serial.toUpperCase())!;
        return { vial, kind: only ?? (vial.boxId ? 'moved' : 'stored'), location: { boxId: m.boxId, row: m.row, col: m.col } };
      });
      await this.custody.apply(tx, ctx, entries);
      try {
        await this.custody.place(tx.em, entries.map((e) => ({ vialId: e.vial.id, position: e.location!, located: !!e.vial.boxId })));
      } catch (error) {
        throw translatePositionClash(error);
      }
      return entries.map((e) => ({ serial: e.vial.serial, event: e.kind, ...e.location!, position: positionLabel(e.location!.row, e.location!.col) }));
    });
  }

  /** Takes a vial out of its box (scan to retrieve). */
  async retrieve(ctx: CommandContext, serial: string, reason?: string): Promise<VialRow> {
    return this.single(ctx, serial, 'removed', reason);
  }

  async thaw(ctx: CommandContext, serial: string, reason?: string): Promise<VialRow> {
    return this.single(ctx, serial, 'thawed', reason);
  }

  async destroy(ctx: CommandContext, serial: string, reason: string): Promise<VialRow> {
    return this.single(ctx, serial, 'destroyed', reason);
  }

  private async single(ctx: CommandContext, serial: string, kind: 'removed' | 'thawed' | 'destroyed', reason?: string): Promise<VialRow> {
    return this.tx.run(async (tx) => {
      const [vial] = await this.custody.lockBySerials(tx.em, [serial]);
      await this.custody.apply(tx, ctx, [{ vial, kind, location: null, reason: reason ?? null }]);
      await this.custody.unplace(tx.em, [vial.id]);
      return (await this.custody.find(tx.em, vial.serial))!;
    });
  }

  private async lockBoxes(tx: Tx, ids: string[]): Promise<Map<string, BoxRow>> {
    const unique = [...new Set(ids)];
    const rows: BoxRow[] = await tx.em.query(`SELECT id, code, rows, cols FROM storage_boxes WHERE id = ANY($1::uuid[]) ORDER BY id FOR NO KEY UPDATE`, [unique]);
    const missing = unique.filter((id) => !rows.some((r) => r.id === id));
    if (missing.length) throw DomainError.notFound('storage_box', missing[0]);
    return new Map(rows.map((r) => [r.id, r]));
  }

  /** 409 naming the vial that holds a target position, unless that vial moves away in the same command. */
  private async refuseOccupied(tx: Tx, moves: PositionDto[], moving: Set<string>, boxes: Map<string, BoxRow>): Promise<void> {
    const occupants: { vialId: string; serial: string; boxId: string; row: number; col: number }[] = await tx.em.query(
      `SELECT l.vial_id AS "vialId", v.serial, l.box_id AS "boxId", l.row_no AS "row", l.col_no AS "col"
         FROM vial_locations l JOIN vials v ON v.id = l.vial_id
         JOIN unnest($1::uuid[], $2::int[], $3::int[]) AS t(box_id, row_no, col_no) ON (t.box_id, t.row_no, t.col_no) = (l.box_id, l.row_no, l.col_no)`,
      [moves.map((m) => m.boxId), moves.map((m) => m.row), moves.map((m) => m.col)],
    );
    const blocking = occupants.find((o) => !moving.has(o.vialId));
    if (blocking) {
      const box = boxes.get(blocking.boxId)!;
      const position = positionLabel(blocking.row, blocking.col);
      throw new DomainError('storage.position_occupied', `Position ${position} of box ${box.code} is occupied by vial ${blocking.serial}.`, {
        occupant: { serial: blocking.serial, vialId: blocking.vialId },
        boxId: box.id,
        boxCode: box.code,
        position,
        row: blocking.row,
        col: blocking.col,
      });
    }
  }
}

/** The database constraint is the last word when two commands race for one position. */
export function translatePositionClash(error: unknown): unknown {
  const e = error as { driverError?: { code?: string; constraint?: string }; code?: string; constraint?: string };
  const code = e?.driverError?.code ?? e?.code;
  const constraint = e?.driverError?.constraint ?? e?.constraint;
  if (code === '23505' && (constraint === 'vial_locations_position_key' || !constraint)) {
    return new DomainError('storage.position_occupied', 'The position was taken by another vial a moment ago; scan the box again.');
  }
  return error;
}

export type { Position };
