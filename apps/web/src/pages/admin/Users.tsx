import { useState } from 'react';
import { CommandForm } from '../../components/CommandForm';
import { FormDialog } from '../../components/FormDialog';
import { Field } from '../../components/forms';
import { LoadError, Loading, Notice, PageHeader, Verdict } from '../../components/ui';
import { api, type Page, type Role } from '../../lib/api';
import { ROLE_LABELS } from '../../lib/areas';
import { dateTime } from '../../lib/format';
import { useApi, useCommand, useDocumentTitle } from '../../lib/hooks';

interface User {
  id: string;
  email: string;
  displayName: string;
  role: Role;
  clinicId: string | null;
  active: boolean;
  lockedUntil: string | null;
  failedAttempts: number;
  createdAt: string;
}

interface Clinic {
  id: string;
  code: string;
  name: string;
  country: string | null;
  active: boolean;
}

/** Accounts and clinics: create, edit (name, role, clinic, active; with a reason for the audit trail), unlock. */
export function Users() {
  useDocumentTitle('Users and clinics');
  const users = useApi<Page<User>>('/users?limit=200');
  const clinics = useApi<Clinic[]>('/clinics');
  const [flash, setFlash] = useState<string>();
  const [editing, setEditing] = useState<User>();
  const clinicName = (id: string | null) => clinics.data?.find((c) => c.id === id)?.name ?? '—';
  const unlock = useCommand(async (u: User) => {
    await api.post(`/users/${u.id}/unlock`, { reason: 'Unlocked by an administrator' });
    setFlash(`${u.displayName} unlocked.`);
    users.reload();
    return true;
  });
  return (
    <section>
      <PageHeader title="Users and clinics" sub="Administrators manage accounts; they do no lab work and sign nothing." />
      {flash ? <Notice tone="success">{flash}</Notice> : null}
      <LoadError error={users.error ?? unlock.error} onRetry={users.reload} />
      {!users.data && !users.error ? <Loading what="users" /> : null}
      {users.data ? (
        <div className="table-wrap">
          <table data-testid="users">
            <thead><tr><th scope="col">Name</th><th scope="col">E-mail</th><th scope="col">Role</th><th scope="col">Clinic</th><th scope="col">Status</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr></thead>
            <tbody>
              {users.data.items.map((u) => {
                const locked = u.lockedUntil && new Date(u.lockedUntil) > new Date();
                return (
                  <tr key={u.id} data-email={u.email}>
                    <td>{u.displayName}</td>
                    <td>{u.email}</td>
                    <td data-testid="role">{ROLE_LABELS[u.role]}</td>
                    <td>{u.role === 'clinic' ? clinicName(u.clinicId) : '—'}</td>
                    <td data-testid="status">{!u.active ? <Verdict value="fail">Inactive</Verdict> : locked ? <Verdict value="warn">Locked until {dateTime(u.lockedUntil)}</Verdict> : <Verdict value="pass">Active</Verdict>}</td>
                    <td className="button-row">
                      {locked ? <button type="button" className="btn btn-small" onClick={() => unlock.execute(u)}>Unlock</button> : null}
                      <button type="button" className="btn btn-small" aria-label={`Edit ${u.displayName}`} onClick={() => setEditing(u)}>Edit…</button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}
      <EditUserDialog user={editing} clinics={clinics.data ?? []} onClose={() => setEditing(undefined)} onDone={(m) => { setFlash(m); users.reload(); }} />
      <div className="two-col">
        <NewUser clinics={clinics.data ?? []} onDone={(m) => { setFlash(m); users.reload(); }} />
        <CommandForm id="new-clinic" title="Add a clinic" submitLabel="Add clinic" send={(body) => api.post<Clinic>('/clinics', body)} onSaved={(c) => { setFlash(`Clinic ${c.name} added.`); clinics.reload(); }}>
          <Field name="code" label="Code" required placeholder="CLN-AMS-01" />
          <Field name="name" label="Name" required />
          <Field name="country" label="Country (ISO code)" placeholder="NL" />
        </CommandForm>
      </div>
      <h2>Clinics</h2>
      <ul className="plain">{clinics.data?.map((c) => <li key={c.id}><strong>{c.code}</strong> {c.name} {c.country ? `(${c.country})` : ''}</li>)}</ul>
    </section>
  );
}

const ROLE_OPTIONS = (Object.keys(ROLE_LABELS) as Role[]).map((r) => ({ value: r, label: ROLE_LABELS[r] }));
const clinicOptions = (clinics: Clinic[]) => clinics.filter((c) => c.active).map((c) => ({ value: c.id, label: `${c.code} — ${c.name}` }));

function NewUser({ clinics, onDone }: { clinics: Clinic[]; onDone: (m: string) => void }) {
  const [role, setRole] = useState('technician');
  return (
    <CommandForm id="new-user" title="Create an account" submitLabel="Create account" send={(body) => api.post<User>('/users', body)} onSaved={(u) => { setRole('technician'); onDone(`Account created for ${u.displayName}.`); }}>
      <Field name="displayName" label="Printed name" required hint="Shown on audit entries and signatures" />
      <Field name="email" label="E-mail" kind="email" required autoComplete="off" />
      <Field name="role" label="Role" kind="select" required defaultValue="technician" onChange={setRole} options={ROLE_OPTIONS} />
      {role === 'clinic' ? <Field name="clinicId" label="Clinic" kind="select" required options={clinicOptions(clinics)} /> : null}
      <Field name="password" label="Initial password" kind="password" required autoComplete="new-password" hint="At least 12 characters; the user should change it" />
    </CommandForm>
  );
}

/**
 * Changes an account: printed name, role (a clinic user needs a clinic; leaving the clinic role
 * detaches it), active. Deactivation ends the user's sessions at once; a role change applies to
 * their next request. The API refuses leaving no active admin (shown in the dialog).
 */
function EditUserDialog({ user, clinics, onClose, onDone }: { user: User | undefined; clinics: Clinic[]; onClose: () => void; onDone: (m: string) => void }) {
  return (
    <FormDialog open={!!user} title={`Edit ${user?.displayName ?? ''}`} onClose={onClose} submitLabel="Save changes"
      intro={user ? <p className="muted">{user.email} · every change is recorded in the audit trail with its reason.</p> : null}
      onSubmit={async (body) => {
        const after = await api.patch<User>(`/users/${user!.id}`, body);
        onDone(describeChange(user!, after));
      }}>
      {user ? <EditUserFields key={user.id} user={user} clinics={clinics} /> : null}
    </FormDialog>
  );
}

function EditUserFields({ user, clinics }: { user: User; clinics: Clinic[] }) {
  const [role, setRole] = useState<string>(user.role);
  return (
    <>
      <Field name="displayName" label="Printed name" required defaultValue={user.displayName} />
      <Field name="role" label="Role" kind="select" required defaultValue={user.role} onChange={setRole} options={ROLE_OPTIONS} />
      {role === 'clinic' ? <Field name="clinicId" label="Clinic" kind="select" required defaultValue={user.clinicId ?? undefined} options={clinicOptions(clinics)} /> : null}
      <Field name="active" label="Account active" kind="checkbox" defaultChecked={user.active} hint="A deactivated account cannot sign in; its sessions end at once." />
      <Field name="reason" label="Reason for the change" kind="textarea" hint="Recorded in the audit trail" />
    </>
  );
}

function describeChange(before: User, after: User): string {
  const parts: string[] = [];
  if (before.role !== after.role) parts.push(`role ${ROLE_LABELS[after.role]}`);
  if (before.clinicId !== after.clinicId && after.clinicId) parts.push('clinic changed');
  if (before.displayName !== after.displayName) parts.push(`name ${after.displayName}`);
  if (before.active !== after.active) parts.push(after.active ? 'reactivated' : 'deactivated');
  return parts.length ? `${after.displayName}: ${parts.join(', ')}.` : `${after.displayName}: nothing changed.`;
}
