import type { ReactNode } from 'react';

export interface FieldControlProps {
  id: string;
  'aria-invalid': boolean | undefined;
  'aria-describedby': string | undefined;
}

/**
 * A labelled form control with its hint and its error right below it. The control is
 * rendered by `children`, which receives the id and aria attributes that tie them together.
 *
 * @example
 * <Field id="agent-name" label="Name" error={errors.name}>{(props) => <input {...props} />}</Field>
 */
export function Field({
  id,
  label,
  hint,
  error,
  children,
}: {
  id: string;
  label: string;
  hint?: ReactNode;
  error?: string | undefined;
  children: (props: FieldControlProps) => ReactNode;
}) {
  const described = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${error ? ' has-error' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {hint && (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {children({ id, 'aria-invalid': error ? true : undefined, 'aria-describedby': described })}
      {error && (
        <p className="field-error" id={`${id}-error`} role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

/** A message for the whole form (errors no field owns, or a success note). */
export function FormMessage({ error, children }: { error?: string | undefined; children?: ReactNode }) {
  if (!error && !children) return null;
  return (
    <p className={error ? 'form-error' : 'form-note'} role={error ? 'alert' : 'status'}>
      {error ?? children}
    </p>
  );
}
