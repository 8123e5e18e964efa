/** What the signed-in key may do (GET /v1/me), shared by every page. */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';

export interface Me {
  key: { id: number; name: string | null; prefix: string | null };
  project_ids: number[] | null;
  scopes: string[];
  can: { write: boolean; create_projects: boolean };
}

export const SessionContext = createContext<Me | null>(null);

/** The session; pages render only when signed in, so it is never null inside them. */
export function useSession(): Me {
  return useContext(SessionContext)!;
}

/** Whether edit controls are shown: one server answer decides (`can.write`). */
export const useCanWrite = (): boolean => useSession().can.write;
