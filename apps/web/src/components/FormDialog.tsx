import { type FormEvent, type ReactNode, useEffect, useId, useRef } from 'react';
import { useCommand } from '../lib/hooks';
import { FormErrors, formBody, ProblemAlert } from './forms';

/**
 * A modal form for one API command (an edit, a hold, a signature). The form's named inputs
 * become the body; the API's refusal (problem+json detail, field errors under their inputs) is
 * shown in the dialog, which stays open; on success the dialog closes.
 */
export function FormDialog(props: {
  open: boolean;
  title: ReactNode;
  onClose: () => void;
  /** Receives the form body and performs the command; a throw (ApiError) keeps the dialog open. */
  onSubmit: (body: Record<string, unknown>) => Promise<unknown>;
  submitLabel: ReactNode;
  pendingLabel?: string;
  errorTitle?: string;
  danger?: boolean;
  className?: string;
  /** Shown between the title and the fields. */
  intro?: ReactNode;
  children?: ReactNode;
  /** Called after a refusal, with the form (a signature clears its password). */
  onRefused?: (form: HTMLFormElement) => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const titleId = useId();
  const { execute, pending, error, setError } = useCommand(async (body: Record<string, unknown>) => {
    await props.onSubmit(body);
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
    const done = await execute(formBody(form));
    if (done !== undefined) props.onClose();
    else props.onRefused?.(form);
  }

  return (
    <dialog ref={ref} className={`form-dialog${props.className ? ` ${props.className}` : ''}`} aria-labelledby={titleId} onClose={props.onClose} onCancel={props.onClose}>
      {/* Rendered only while open: one such form on the page at a time, fresh each time. */}
      {props.open ? <form ref={formRef} onSubmit={submit} noValidate>
        <h2 id={titleId}>{props.title}</h2>
        {props.intro}
        <FormErrors error={error}>
          <ProblemAlert error={error} form={formRef.current} title={props.errorTitle} />
          {props.children}
        </FormErrors>
        <div className="dialog-actions">
          <button type="button" className="btn" onClick={props.onClose}>Cancel</button>
          <button type="submit" className={props.danger ? 'btn btn-danger' : 'btn btn-primary'} disabled={pending} aria-busy={pending || undefined}>
            {pending ? props.pendingLabel ?? 'Saving…' : props.submitLabel}
          </button>
        </div>
      </form> : null}
    </dialog>
  );
}
