import type { ReactNode } from 'react';
import { ROLE_LABELS } from '../lib/areas';
import { useAuth } from '../lib/auth';
import { FormDialog } from './FormDialog';
import { Field } from './forms';

/** The same meanings and wording as the server's libs/signatures/src/meanings.ts (what the signature records). */
export const MEANINGS = {
  approved_for_release: 'Approved for release',
  rejected: 'Rejected',
  approved_specification: 'Specification approved',
  oos_investigation_closed: 'OOS investigation closed',
  excursion_disposition: 'Excursion disposition',
  recall: 'Recall',
  reviewed: 'Reviewed',
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
  const meaning = MEANINGS[props.meaning];
  return (
    <FormDialog open={props.open} title="Electronic signature" className="signature-dialog" onClose={props.onClose} onSubmit={props.onSign} danger={props.danger}
      submitLabel={`Sign: ${meaning}`} pendingLabel="Signing…" errorTitle="Not signed" onRefused={clearPassword}
      intro={<>
        <p className="sig-meaning">
          Meaning of this signature: <strong data-testid="signature-meaning">{meaning}</strong>
        </p>
        <div className="sig-record">{props.record}</div>
        <p>
          Signed by <strong>{user?.displayName}</strong> ({user ? ROLE_LABELS[user.role] : ''}), now, as a legally binding equivalent of a handwritten
          signature. The signature is bound to the record as it is at this moment.
        </p>
      </>}>
      {props.children}
      <Field name="password" label="Your password" kind="password" required autoComplete="current-password" autoFocus />
    </FormDialog>
  );
}

/** A refused signature asks for the password again. */
function clearPassword(form: HTMLFormElement): void {
  const pw = form.elements.namedItem('password') as HTMLInputElement | null;
  if (pw) {
    pw.value = '';
    pw.focus();
  }
}
