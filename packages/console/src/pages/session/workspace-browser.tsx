import { useEffect, useState } from 'react';
import { ApiError, describeError } from '../../api/api-error.js';
import type { WorkspaceEntry } from '../../api/resources.js';
import { useApi } from '../../state/api-context.js';
import { useResource } from '../../state/use-resource.js';
import { formatBytes, formatTime } from '../../ui/format.js';

const PREVIEW_BYTES = 512 * 1024;

function baseName(path: string): string {
  const parts = path.split('/').filter(Boolean);
  return parts[parts.length - 1] ?? path;
}

/** Where the browser starts: the agent's working directory in the sandbox. */
const ROOT = '/workspace';

/** The folders from the root down to `dir`, each with its path (the root itself excluded). */
function crumbs(dir: string): Array<{ label: string; path: string }> {
  const parts = dir.slice(ROOT.length).split('/').filter(Boolean);
  return parts.map((label, i) => ({ label, path: `${ROOT}/${parts.slice(0, i + 1).join('/')}` }));
}

function looksTextual(type: string, head: Uint8Array): boolean {
  if (/^text\/|json|xml|javascript|typescript|yaml|toml|x-sh|csv|markdown/.test(type)) return true;
  if (type && !/octet-stream/.test(type)) return false;
  return !head.includes(0);
}

type Preview =
  | { kind: 'loading' }
  | { kind: 'text'; text: string; truncated: boolean }
  | { kind: 'image'; url: string }
  | { kind: 'binary'; type: string }
  | { kind: 'error'; message: string };

/** Fetches a file once for both preview and download; the blob stays until another file is opened. */
function FilePreview({ sessionId, entry }: { sessionId: string; entry: WorkspaceEntry }) {
  const { api } = useApi();
  const [preview, setPreview] = useState<Preview>({ kind: 'loading' });
  const [blob, setBlob] = useState<Blob | undefined>();
  useEffect(() => {
    let cancelled = false;
    let url: string | undefined;
    setPreview({ kind: 'loading' });
    setBlob(undefined);
    void (async () => {
      try {
        const response = await api.workspace.content(sessionId, entry.path);
        const type = (response.headers.get('content-type') ?? '').toLowerCase();
        const data = await response.blob();
        if (cancelled) return;
        setBlob(data);
        if (type.startsWith('image/') && !type.includes('svg')) {
          url = URL.createObjectURL(data);
          setPreview({ kind: 'image', url });
          return;
        }
        const head = new Uint8Array(await data.slice(0, 8192).arrayBuffer());
        if (!looksTextual(type, head)) return setPreview({ kind: 'binary', type: type || 'unknown type' });
        const text = await data.slice(0, PREVIEW_BYTES).text();
        if (!cancelled) setPreview({ kind: 'text', text, truncated: data.size > PREVIEW_BYTES });
      } catch (error) {
        if (!cancelled) setPreview({ kind: 'error', message: describeError(error) });
      }
    })();
    return () => {
      cancelled = true;
      if (url) URL.revokeObjectURL(url);
    };
  }, [api, sessionId, entry.path]);

  const download = () => {
    if (!blob) return;
    const url = URL.createObjectURL(blob);
    const anchor = document.createElement('a');
    anchor.href = url;
    anchor.download = baseName(entry.path);
    document.body.append(anchor);
    anchor.click();
    anchor.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };

  return (
    <section className="file-preview" aria-labelledby="preview-title">
      <div className="preview-head">
        <h3 id="preview-title">{baseName(entry.path)}</h3>
        <span className="muted">{formatBytes(entry.size)}</span>
        <button type="button" onClick={download} disabled={!blob}>
          Download
        </button>
      </div>
      {preview.kind === 'loading' && <p className="muted">Loading…</p>}
      {preview.kind === 'error' && <p className="form-error" role="alert">{preview.message}</p>}
      {preview.kind === 'binary' && <p className="muted">No preview for this kind of file ({preview.type}). Download it instead.</p>}
      {preview.kind === 'image' && <img src={preview.url} alt={`Preview of ${baseName(entry.path)}`} className="image-preview" />}
      {preview.kind === 'text' && (
        <>
          <pre className="text-preview" tabIndex={0} aria-label={`Contents of ${baseName(entry.path)}`}>{preview.text}</pre>
          {preview.truncated && <p className="muted">Showing the first {formatBytes(PREVIEW_BYTES)}; download the file for the rest.</p>}
        </>
      )}
    </section>
  );
}

/**
 * A read-only browser of a session's workspace: folders, files with their size and time, a
 * preview of text and images, and downloads. A server without sandboxes answers 404 for the
 * workspace itself; the browser then says so rather than failing. A folder that is gone (the
 * agent removed it, a restore took it away) is a 404 too, but only for that folder.
 */
export function WorkspaceBrowser({ sessionId }: { sessionId: string }) {
  const { api } = useApi();
  const [dir, setDir] = useState(ROOT);
  const [selected, setSelected] = useState<WorkspaceEntry | undefined>();
  const listing = useResource(() => api.workspace.list(sessionId, dir), [sessionId, dir]);
  const missing = listing.failure instanceof ApiError && listing.failure.notFound;

  if (missing && dir === ROOT) {
    return (
      <div className="workspace-unavailable" role="status">
        <h2>Workspace not available</h2>
        <p>This server does not offer a workspace browser for this session: its workspace endpoints answered 404 (“{listing.error}”). The session's files stay in its sandbox.</p>
      </div>
    );
  }
  const entries = [...(listing.data ?? [])].sort((a, b) => (a.type === 'directory') !== (b.type === 'directory') ? (a.type === 'directory' ? -1 : 1) : a.path.localeCompare(b.path));
  const go = (path: string) => {
    setDir(path);
    setSelected(undefined);
  };
  const open = (entry: WorkspaceEntry) => {
    if (entry.type === 'directory') go(entry.path);
    else setSelected(entry);
  };
  // After a refresh the selected file may have changed or gone: preview what the listing now says.
  const shown = selected && listing.data ? entries.find((entry) => entry.path === selected.path) : selected;
  return (
    <div className="workspace">
      <div className="workspace-head">
        <nav aria-label="Folder" className="crumbs">
          <button type="button" className="link-button" onClick={() => go(ROOT)} aria-current={dir === ROOT ? 'location' : undefined}>
            workspace
          </button>
          {crumbs(dir).map((crumb) => (
            <span key={crumb.path}>
              <span aria-hidden="true"> / </span>
              <button type="button" className="link-button" onClick={() => go(crumb.path)} aria-current={crumb.path === dir ? 'location' : undefined}>
                {crumb.label}
              </button>
            </span>
          ))}
        </nav>
        <button type="button" onClick={() => void listing.reload()} disabled={listing.loading} aria-label="Refresh the file list">
          Refresh
        </button>
      </div>
      <div className="workspace-panes">
        <div className="file-list">
          {missing && (
            <p className="form-error" role="alert">
              This folder is no longer in the workspace.{' '}
              <button type="button" className="link-button" onClick={() => go(ROOT)}>
                Back to the workspace
              </button>
            </p>
          )}
          {listing.error && !missing && <p className="form-error" role="alert">{listing.error}</p>}
          {!listing.data && !listing.error && <p className="muted">Loading…</p>}
          {listing.data && !missing && entries.length === 0 && <p className="empty">This folder is empty.</p>}
          {entries.length > 0 && !missing && (
            <ul aria-label="Files">
              {entries.map((entry) => (
                <li key={entry.path}>
                  <button type="button" className={`file-entry${selected?.path === entry.path ? ' selected' : ''}`} onClick={() => open(entry)} aria-pressed={entry.type === 'directory' ? undefined : selected?.path === entry.path}>
                    <span className="file-name">
                      <span className={`file-icon is-${entry.type === 'directory' ? 'dir' : entry.type === 'symlink' ? 'link' : 'file'}`} aria-hidden="true" />
                      {baseName(entry.path)}
                      {entry.type === 'directory' ? '/' : ''}
                    </span>
                    <span className="muted">{entry.type === 'directory' ? 'folder' : formatBytes(entry.size)}</span>
                    <span className="muted file-time" title={formatTime(entry.mtime)}>{formatTime(entry.mtime)}</span>
                  </button>
                </li>
              ))}
            </ul>
          )}
        </div>
        {shown && <FilePreview key={`${shown.path}@${shown.mtime}`} sessionId={sessionId} entry={shown} />}
      </div>
    </div>
  );
}
