import { type FormEvent, useRef } from 'react';
import { Navigate, useNavigate, useSearchParams } from 'react-router';
import { Field, FormErrors, ProblemAlert, Submit } from '../components/forms';
import { Notice } from '../components/ui';
import { HOME } from '../lib/areas';
import { useAuth } from '../lib/auth';
import { useCommand, useDocumentTitle } from '../lib/hooks';

export function Login() {
  useDocumentTitle('Sign in');
  const { user, signIn, notice } = useAuth();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const formRef = useRef<HTMLFormElement>(null);
  const { execute, pending, error } = useCommand(signIn);
  if (user) return <Navigate to={safeNext(params.get('next')) ?? HOME[user.role]} replace />;

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const data = new FormData(e.currentTarget);
    const signed = await execute(String(data.get('email') ?? ''), String(data.get('password') ?? ''));
    if (signed) navigate(safeNext(params.get('next')) ?? HOME[signed.role], { replace: true });
  }

  return (
    <section className="login">
      <h1>Sign in to Exolot</h1>
      <p className="sub">Exosome batch QC, release and provenance. Clinics: to check a vial without an account, use <a href="/verify">Verify a vial</a>.</p>
      {notice ? <Notice>{notice}</Notice> : null}
      <form ref={formRef} onSubmit={submit} noValidate className="card narrow">
        <FormErrors error={error}>
          <ProblemAlert error={error} form={formRef.current} title="Not signed in" />
          <Field name="email" label="E-mail" kind="email" required autoComplete="username" autoFocus />
          <Field name="password" label="Password" kind="password" required autoComplete="current-password" />
        </FormErrors>
        <Submit pending={pending}>Sign in</Submit>
      </form>
    </section>
  );
}

/** Only same-site paths are followed after sign-in. */
function safeNext(next: string | null): string | null {
  return next && next.startsWith('/') && !next.startsWith('//') && next !== '/login' ? next : null;
}
