import { type FormEvent, type ReactNode, useEffect, useRef } from 'react';
import { ROLE_LABELS } from '../lib/areas';
import { useAuth } from '../lib/auth';
import { useCommand } from '../lib/hooks';
import { Field, FormErrors, formBody, ProblemAlert } from './forms';

export const MEANINGS = {
  approved_for_release: 'Approved for release',
  rejected: 'Rejected',
  approved_specification: 'Specification approved',
  investigation_closed: 'OOS investigation closed',
  excursion_disposition: 'Excursion disposition',
  recall: 'Recall',
} as const;

export type Meaning = keyof typeof MEANINGS;

/**
 * The electronic signature: states what the signature means and what is signed, who signs,
 * and asks for the password again. The API's refusal (401 wrong password, 423 locked, 403
 * four-eyes, 409 state) is shown in the dialog, which stays open.
 */
export function SignatureDialog(props: {
  open: boolean;
  meaning: Meaning;
  record: ReactNode;
  onClose: () => void;
  /** Receives the form body (password plus any extra fields) and performs the signed command. */
  onSign: (body: Record<string, unknown>) => Promise<unknown>;
  children?: ReactNode;
  danger?: boolean;
}) {
  const { user } = useAuth();
  const ref = useRef<HTMLDialogElement>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const { execute, pending, error, setError } = useCommand(async (body: Record<string, unknown>) => {
    await props.onSign(body);
    return true as const;
  });

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (props.open && !dialog.open) {
      setError(undefined);
      dialog.showModal();
    } else if (!props.open && dialog.open) dialog.close();
  }, [props.open, setError]);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = e.currentTarget;
    const body = formBody(form);
    const done = await execute(body);
    if (done !== undefined) props.onClose();
    else {
      const pw = form.elements.namedItem('password') as HTMLInputElement | null;
      if (pw) {
        pw.value = '';
        pw.focus();
      }
    }
  }

  const meaning = MEANINGS[props.meaning];
  return (
    <dialog ref={ref} className="signature-dialog" aria-labelledby="sig-title" onClose={props.onClose} onCancel={props.onClose}>
      {/* Rendered only while open: one signature form on the page at a time. */}
      {props.open ? <form ref={formRef} onSubmit={submit} noValidate>
        <h2 id="sig-title">Electronic signature</h2>
        <p className="sig-meaning">
          Meaning of this signature: <strong data-testid="signature-meaning">{meaning}</strong>
        </p>
        <div className="sig-record">{props.record}</div>
        <p>
          Signed by <strong>{user?.displayName}</strong> ({user ? ROLE_LABELS[user.role] : ''}), now, as a legally binding equivalent of a handwritten
          signature. The signature is bound to the record as it is at this moment.
        </p>
        <FormErrors error={error}>
          <ProblemAlert error={error} form={formRef.current} title="Not signed" />
          {props.children}
          <Field name="password" label="Your password" kind="password" required autoComplete="current-password" autoFocus />
        </FormErrors>
        <div className="dialog-actions">
          <button type="button" className="btn" onClick={props.onClose}>Cancel</button>
          <button type="submit" className={props.danger ? 'btn btn-danger' : 'btn btn-primary'} disabled={pending} aria-busy={pending || undefined}>
            {pending ? 'Signing…' : `Sign: ${meaning}`}
          </button>
        </div>
      </form> : null}
    </dialog>
  );
}
