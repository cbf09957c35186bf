/** Who is making a request: resolved from the API key by the server's auth step. */
export interface Caller {
  workspaceId: string;
  /** The `apikey_` id, or null for the admin key from `LONGHAND_API_KEY`. */
  keyId: string | null;
  admin: boolean;
}
