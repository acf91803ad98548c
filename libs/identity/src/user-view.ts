import type { Role } from '#platform';

/** What the API shows of an account. The password hash never leaves the database layer. */
export interface UserView {
  id: string;
  email: string;
  displayName: string;
  role: Role;
  clinicId: string | null;
  active: boolean;
  lockedUntil: string | null;
  failedAttempts: number;
  passwordChangedAt: string;
  createdAt: string;
}

export const USER_COLUMNS = `id, email, display_name AS "displayName", role, clinic_id AS "clinicId", active,
  locked_until AS "lockedUntil", failed_attempts AS "failedAttempts", password_changed_at AS "passwordChangedAt", created_at AS "createdAt"`;

/** The fields an audit event records for an account (no hash, no counters). */
export function auditedUser(user: Pick<UserView, 'id' | 'email' | 'displayName' | 'role' | 'clinicId' | 'active'>): Record<string, unknown> {
  return { id: user.id, email: user.email, displayName: user.displayName, role: user.role, clinicId: user.clinicId, active: user.active };
}

export interface SessionUser {
  id: string;
  email: string;
  displayName: string;
  role: Role;
  clinicId: string | null;
}

export function sessionUser(user: SessionUser): SessionUser {
  return { id: user.id, email: user.email, displayName: user.displayName, role: user.role, clinicId: user.clinicId };
}
