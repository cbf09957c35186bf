import type { AnchorHTMLAttributes, MouseEvent } from 'react';
import { navigate } from './router.js';

/**
 * A real link (it opens in a new tab, shows its target, works without JavaScript) that
 * navigates in place on a plain click.
 */
export function Link({ to, onClick, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { to: string }) {
  const handle = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return <a href={to} onClick={handle} {...rest} />;
}
