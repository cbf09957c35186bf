import type { SessionEvent } from '@longhand/protocol';
import { useState, type FormEvent, type KeyboardEvent } from 'react';
import { describeError } from '../../api/api-error.js';
import type { ClientEvent } from '../../api/resources.js';

/**
 * Where the person writes to the agent: Enter with Ctrl or ⌘ sends, so plain Enter makes new
 * lines. While the agent runs, a message waits in the queue; the interrupt stops the turn.
 */
export function Composer({
  send,
  running,
  disabled,
  disabledReason,
}: {
  send: (events: ClientEvent[]) => Promise<SessionEvent[]>;
  running: boolean;
  disabled: boolean;
  disabledReason?: string | undefined;
}) {
  const [text, setText] = useState('');
  const [busy, setBusy] = useState<'send' | 'interrupt' | undefined>();
  const [error, setError] = useState<string | undefined>();

  const submit = async (event?: FormEvent) => {
    event?.preventDefault();
    const message = text.trim();
    if (!message || busy) return;
    setBusy('send');
    setError(undefined);
    try {
      await send([{ type: 'user.message', content: [{ type: 'text', text: message }] }]);
      setText('');
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(undefined);
    }
  };

  const interrupt = async () => {
    setBusy('interrupt');
    setError(undefined);
    try {
      await send([{ type: 'user.interrupt' }]);
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(undefined);
    }
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) void submit();
  };

  return (
    <form className="composer" onSubmit={(event) => void submit(event)} aria-label="Send a message">
      <label htmlFor="composer-text" className="visually-hidden">
        Message to the agent
      </label>
      <textarea
        id="composer-text"
        rows={2}
        placeholder={disabled ? (disabledReason ?? 'This session accepts no messages') : running ? 'The agent is working; your message will wait its turn' : 'Message the agent (Ctrl+Enter to send)'}
        value={text}
        onChange={(event) => setText(event.target.value)}
        onKeyDown={onKeyDown}
        disabled={disabled}
        aria-describedby={error ? 'composer-error' : undefined}
      />
      <div className="composer-actions">
        <button type="submit" className="primary" disabled={disabled || !text.trim() || busy !== undefined}>
          {busy === 'send' ? 'Sending…' : 'Send'}
        </button>
        <button type="button" onClick={() => void interrupt()} disabled={disabled || !running || busy !== undefined}>
          {busy === 'interrupt' ? 'Interrupting…' : 'Interrupt'}
        </button>
      </div>
      {error && (
        <p className="field-error" id="composer-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
