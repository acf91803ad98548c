import { type FormEvent, useRef, useState } from 'react';
import { Field, FormErrors, formBody, ProblemAlert, Submit } from '../../components/forms';
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

/** Accounts and clinics: create, change role, deactivate, unlock (each with a reason for the audit trail). */
export function Users() {
  useDocumentTitle('Users and clinics');
  const users = useApi<Page<User>>('/users?limit=200');
  const clinics = useApi<Clinic[]>('/clinics');
  const [flash, setFlash] = useState<string>();
  const clinicName = (id: string | null) => clinics.data?.find((c) => c.id === id)?.name ?? '—';
  const act = useCommand(async (path: string, body: Record<string, unknown>, method: 'post' | 'patch', done: string) => {
    await (method === 'post' ? api.post(path, body) : api.patch(path, body));
    setFlash(done);
    users.reload();
    return true;
  });
  return (
    <section>
      <PageHeader title="Users and clinics" sub="Administrators manage accounts; they do no lab work and sign nothing." />
      {flash ? <Notice tone="success">{flash}</Notice> : null}
      <LoadError error={users.error ?? act.error} onRetry={users.reload} />
      {!users.data && !users.error ? <Loading what="users" /> : null}
      {users.data ? (
        <div className="table-wrap">
          <table>
            <thead><tr><th scope="col">Name</th><th scope="col">E-mail</th><th scope="col">Role</th><th scope="col">Clinic</th><th scope="col">Status</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr></thead>
            <tbody>
              {users.data.items.map((u) => {
                const locked = u.lockedUntil && new Date(u.lockedUntil) > new Date();
                return (
                  <tr key={u.id}>
                    <td>{u.displayName}</td>
                    <td>{u.email}</td>
                    <td>{ROLE_LABELS[u.role]}</td>
                    <td>{u.role === 'clinic' ? clinicName(u.clinicId) : '—'}</td>
                    <td>{!u.active ? <Verdict value="fail">Inactive</Verdict> : locked ? <Verdict value="warn">Locked until {dateTime(u.lockedUntil)}</Verdict> : <Verdict value="pass">Active</Verdict>}</td>
                    <td className="button-row">
                      {locked ? <button type="button" className="btn btn-small" onClick={() => act.execute(`/users/${u.id}/unlock`, { reason: 'Unlocked by an administrator' }, 'post', `${u.displayName} unlocked.`)}>Unlock</button> : null}
                      <button type="button" className="btn btn-small" onClick={() => act.execute(`/users/${u.id}`, { active: !u.active, reason: u.active ? 'Deactivated by an administrator' : 'Reactivated by an administrator' }, 'patch', `${u.displayName} ${u.active ? 'deactivated' : 'reactivated'}.`)}>{u.active ? 'Deactivate' : 'Reactivate'}</button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}
      <div className="two-col">
        <NewUser clinics={clinics.data ?? []} onDone={(m) => { setFlash(m); users.reload(); }} />
        <NewClinic onDone={(m) => { setFlash(m); clinics.reload(); }} />
      </div>
      <h2>Clinics</h2>
      <ul className="plain">{clinics.data?.map((c) => <li key={c.id}><strong>{c.code}</strong> {c.name} {c.country ? `(${c.country})` : ''}</li>)}</ul>
    </section>
  );
}

function NewUser({ clinics, onDone }: { clinics: Clinic[]; onDone: (m: string) => void }) {
  const formRef = useRef<HTMLFormElement>(null);
  const [role, setRole] = useState('technician');
  const { execute, pending, error } = useCommand((body: Record<string, unknown>) => api.post<User>('/users', body));
  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = e.currentTarget;
    const u = await execute(formBody(form));
    if (u) {
      form.reset();
      onDone(`Account created for ${u.displayName}.`);
    }
  }
  return (
    <form ref={formRef} onSubmit={submit} noValidate className="card" aria-labelledby="new-user">
      <h2 id="new-user">Create an account</h2>
      <FormErrors error={error}>
        <ProblemAlert error={error} form={formRef.current} />
        <Field name="displayName" label="Printed name" required hint="Shown on audit entries and signatures" />
        <Field name="email" label="E-mail" kind="email" required autoComplete="off" />
        <Field name="role" label="Role" kind="select" required defaultValue="technician" onChange={setRole} options={(Object.keys(ROLE_LABELS) as Role[]).map((r) => ({ value: r, label: ROLE_LABELS[r] }))} />
        {role === 'clinic' ? <Field name="clinicId" label="Clinic" kind="select" required options={clinics.map((c) => ({ value: c.id, label: `${c.code} — ${c.name}` }))} /> : null}
        <Field name="password" label="Initial password" kind="password" required autoComplete="new-password" hint="At least 12 characters; the user should change it" />
      </FormErrors>
      <Submit pending={pending}>Create account</Submit>
    </form>
  );
}

function NewClinic({ onDone }: { onDone: (m: string) => void }) {
  const formRef = useRef<HTMLFormElement>(null);
  const { execute, pending, error } = useCommand((body: Record<string, unknown>) => api.post<Clinic>('/clinics', body));
  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = e.currentTarget;
    const c = await execute(formBody(form));
    if (c) {
      form.reset();
      onDone(`Clinic ${c.name} added.`);
    }
  }
  return (
    <form ref={formRef} onSubmit={submit} noValidate className="card" aria-labelledby="new-clinic">
      <h2 id="new-clinic">Add a clinic</h2>
      <FormErrors error={error}>
        <ProblemAlert error={error} form={formRef.current} />
        <Field name="code" label="Code" required placeholder="CLN-AMS-01" />
        <Field name="name" label="Name" required />
        <Field name="country" label="Country (ISO code)" placeholder="NL" />
      </FormErrors>
      <Submit pending={pending}>Add clinic</Submit>
    </form>
  );
}
