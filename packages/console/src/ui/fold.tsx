import { useState } from 'react';

/**
 * Text in a `<pre>`, folded to its first `lines` lines (and `chars` characters) with a button
 * to show the rest: tool output can be megabytes, and the timeline must stay readable.
 */
export function FoldedText({ text, lines = 12, chars = 4000, className }: { text: string; lines?: number; chars?: number; className?: string }) {
  const [open, setOpen] = useState(false);
  const all = text.split('\n');
  const long = all.length > lines || text.length > chars;
  const shown = open || !long ? text : all.slice(0, lines).join('\n').slice(0, chars);
  return (
    <div className="fold">
      <pre className={className}>{shown}</pre>
      {long && (
        <button type="button" className="link-button" aria-expanded={open} onClick={() => setOpen(!open)}>
          {open ? 'Show less' : `Show all (${all.length.toLocaleString('en-US')} lines, ${text.length.toLocaleString('en-US')} characters)`}
        </button>
      )}
    </div>
  );
}

/** A JSON value, pretty-printed and folded like any long text. */
export function JsonView({ value, lines = 16 }: { value: unknown; lines?: number }) {
  let text: string;
  try {
    text = JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    text = String(value);
  }
  return <FoldedText text={text} lines={lines} className="json" />;
}
