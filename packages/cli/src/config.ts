import { resolve } from 'node:path';

/** Settings shared by every command, from flags first, then the environment, then defaults. */
export interface CommonOptions {
  dataDir: string;
  adminKey: string | undefined;
}

export function commonOptions(flags: { 'data-dir'?: string | undefined }): CommonOptions {
  return {
    dataDir: resolve(flags['data-dir'] ?? process.env.LONGHAND_DATA_DIR ?? '.longhand'),
    adminKey: process.env.LONGHAND_API_KEY || undefined,
  };
}

/** A port from a flag or the environment; a clear error when it is not one. */
export function portOf(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`not a port number: ${value}`);
  return port;
}
