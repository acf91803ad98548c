import { expiryDate, newSerial, packRefusal, type PackFacts, planCustody, SERIAL_ALPHABET } from '../src/vial-rules.js';

describe('vial rules', () => {
  it('makes 12-character serials from the unambiguous alphabet, never repeating', () => {
    const serials = Array.from({ length: 5000 }, () => newSerial());
    expect(new Set(serials).size).toBe(5000);
    for (const s of serials.slice(0, 50)) expect(s).toMatch(new RegExp(`^[${SERIAL_ALPHABET}]{12}$`));
    expect(SERIAL_ALPHABET).not.toMatch(/[01IO]/);
  });

  it('counts freeze–thaw cycles: thaw, re-storage after removal, clinic use from frozen; not the first storage', () => {
    expect(planCustody('filled', 'stored')).toEqual({ ok: true, status: 'stored', cyclesAdded: 0 });
    expect(planCustody('stored', 'moved')).toEqual({ ok: true, status: 'stored', cyclesAdded: 0 });
    expect(planCustody('stored', 'removed')).toEqual({ ok: true, status: 'removed', cyclesAdded: 0 });
    expect(planCustody('removed', 'stored')).toEqual({ ok: true, status: 'stored', cyclesAdded: 1 });
    expect(planCustody('removed', 'thawed')).toEqual({ ok: true, status: 'thawed', cyclesAdded: 1 });
    expect(planCustody('received', 'used')).toEqual({ ok: true, status: 'used', cyclesAdded: 1 });
    expect(planCustody('thawed', 'used')).toEqual({ ok: true, status: 'used', cyclesAdded: 0 });
  });

  it('refuses events out of order, and never refreezes a thawed vial', () => {
    expect(planCustody('thawed', 'stored')).toEqual({ ok: false, message: expect.stringMatching(/never refrozen/) });
    expect(planCustody('filled', 'shipped').ok).toBe(false);
    expect(planCustody('destroyed', 'destroyed').ok).toBe(false);
    expect(planCustody('shipped', 'quarantined')).toEqual({ ok: true, status: 'shipped', cyclesAdded: 0 });
  });

  it('says why a vial cannot be packed', () => {
    const ok: PackFacts = { purpose: 'dose', status: 'stored', batchState: 'released', expiryDate: '2030-01-01', quarantined: false, recalledAt: null, clinicId: null };
    expect(packRefusal(ok, 'c1', '2026-11-22')).toBeNull();
    expect(packRefusal({ ...ok, batchState: 'quarantined' }, 'c1', '2026-11-22')?.rule).toBe('unreleased');
    expect(packRefusal({ ...ok, quarantined: true }, 'c1', '2026-11-22')?.rule).toBe('quarantined');
    expect(packRefusal({ ...ok, recalledAt: '2026-11-01T00:00:00Z' }, 'c1', '2026-11-22')?.rule).toBe('recalled');
    expect(packRefusal({ ...ok, expiryDate: '2026-11-21' }, 'c1', '2026-11-22')?.rule).toBe('expired');
    expect(packRefusal({ ...ok, clinicId: 'c2' }, 'c1', '2026-11-22')?.rule).toBe('otherClinic');
    expect(packRefusal({ ...ok, purpose: 'bulk' }, 'c1', '2026-11-22')?.rule).toBe('notDose');
  });

  it('dates expiry from the fill day plus the shelf life', () => {
    expect(expiryDate(new Date('2026-11-22T23:30:00Z'), 365)).toBe('2027-11-22');
    expect(expiryDate(new Date('2028-02-28T08:00:00Z'), 1)).toBe('2028-02-29');
  });
});
