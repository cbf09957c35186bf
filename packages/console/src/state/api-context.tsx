import { createContext, useContext, useMemo, type ReactNode } from 'react';
import { ApiClient } from '../api/client.js';
import { resources, type Resources } from '../api/resources.js';

export interface Api {
  client: ApiClient;
  api: Resources;
  /** Forgets the key and returns to the sign-in page, with an optional reason to show there. */
  signOut: (reason?: string) => void;
}

const ApiContext = createContext<Api | undefined>(undefined);

/** Provides the signed-in client to every page. A 401 from any call signs the user out. */
export function ApiProvider({ apiKey, signOut, children }: { apiKey: string; signOut: Api['signOut']; children: ReactNode }) {
  const value = useMemo<Api>(() => {
    const client = new ApiClient({
      apiKey,
      onUnauthorized: () => signOut('The server no longer accepts this API key (401). Sign in with a valid key.'),
    });
    return { client, api: resources(client), signOut };
  }, [apiKey, signOut]);
  return <ApiContext.Provider value={value}>{children}</ApiContext.Provider>;
}

export function useApi(): Api {
  const value = useContext(ApiContext);
  if (!value) throw new Error('useApi is used outside <ApiProvider>');
  return value;
}
