import { type FormEvent, type ReactNode, useRef } from 'react';
import { useCommand } from '../lib/hooks';
import { FormErrors, formBody, ProblemAlert, Submit } from './forms';

/**
 * A titled form for one API command: its named inputs become the body (`formBody`), the API's
 * problem+json detail and field errors show on the form, and after success it resets and hands
 * the command's result to `onSaved`.
 */
export function CommandForm<R>(props: {
  /** The heading's id (the form is labelled by it). */
  id: string;
  title: ReactNode;
  submitLabel: ReactNode;
  send: (body: Record<string, unknown>) => Promise<R>;
  onSaved: (result: R) => void;
  children: ReactNode;
  level?: 2 | 3;
  className?: string;
}) {
  const formRef = useRef<HTMLFormElement>(null);
  const { execute, pending, error } = useCommand(props.send);
  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = e.currentTarget;
    const result = await execute(formBody(form));
    if (result !== undefined) {
      form.reset();
      props.onSaved(result);
    }
  }
  const Heading = props.level === 3 ? 'h3' : 'h2';
  return (
    <form ref={formRef} onSubmit={submit} noValidate className={props.className ?? 'card'} aria-labelledby={props.id}>
      <Heading id={props.id}>{props.title}</Heading>
      <FormErrors error={error}>
        <ProblemAlert error={error} form={formRef.current} />
        {props.children}
      </FormErrors>
      <Submit pending={pending}>{props.submitLabel}</Submit>
    </form>
  );
}
