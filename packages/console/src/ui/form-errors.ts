import { useEffect, type RefObject } from 'react';
import { ApiError, describeError } from '../api/api-error.js';

/** Errors of a form: one message per field path, plus one for the form as a whole. */
export interface FormErrors {
  fields: Record<string, string>;
  form?: string;
}

const PATH = /^([A-Za-z_]\w*(?:\[\d+\]|\.[A-Za-z_]\w*)*)(?=[:\s]|$)/;

/**
 * The field path a validation message starts with. The API names the offending field first
 * (`tools[0].configs[1].name must be one of …`, `name: already taken`); `body` is the root.
 */
export function leadingPath(message: string): string | undefined {
  const path = PATH.exec(message)?.[1];
  return path && path !== 'body' ? path : undefined;
}

/**
 * Which of a form's `fields` (paths such as `tools` or `config.networking`) owns `path`: the
 * longest one that is `path` itself or a prefix of it, so `tools[0].configs[1].name` belongs to
 * `tools` and `config.packages.pip[0]` to `config.packages.pip` when the form has that field.
 */
export function fieldFor(path: string, fields: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const field of fields) {
    const owns = path === field || path.startsWith(`${field}.`) || path.startsWith(`${field}[`);
    if (owns && (!best || field.length > best.length)) best = field;
  }
  return best;
}

/** Places a failed save on the field it names, or on the form when it names none of them. */
export function errorsFrom(error: unknown, fields: readonly string[]): FormErrors {
  if (error instanceof ApiError && error.status === 400) {
    const path = leadingPath(error.message);
    const field = path ? fieldFor(path, fields) : undefined;
    if (field) return { fields: { [field]: error.message } };
  }
  return { fields: {}, form: describeError(error) };
}

/**
 * Moves focus to the first control with an error whenever a new set of errors is shown, so
 * keyboard and screen-reader users land on what needs fixing.
 */
export function useFocusOnErrors(form: RefObject<HTMLFormElement | null>, errors: FormErrors): void {
  useEffect(() => {
    if (Object.keys(errors.fields).length === 0 && !errors.form) return;
    const target = form.current?.querySelector<HTMLElement>('[aria-invalid="true"]') ?? form.current?.querySelector<HTMLElement>('.form-error');
    if (!target) return;
    if (!target.hasAttribute('tabindex') && !/^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(target.tagName)) target.setAttribute('tabindex', '-1');
    target.focus();
  }, [form, errors]);
}
