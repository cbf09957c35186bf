/** Where the API key lives between visits: this browser's localStorage, never a cookie. */
const KEY = 'longhand.apiKey';

export function loadKey(): string | undefined {
  try {
    return localStorage.getItem(KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

export function saveKey(key: string): void {
  localStorage.setItem(KEY, key);
}

export function clearKey(): void {
  try {
    localStorage.removeItem(KEY);
  } catch {
    // Storage may be unavailable (private mode); there is nothing to clear then.
  }
}
