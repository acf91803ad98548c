import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { api, onSessionLost, session, type SessionUser } from './api';

interface AuthState {
  user: SessionUser | null;
  /** True until the stored session has been checked with GET /auth/me. */
  checking: boolean;
  /** Why the user was signed out without asking (expired session), shown on the sign-in page. */
  notice: string | null;
  signIn: (email: string, password: string) => Promise<SessionUser>;
  signOut: () => Promise<void>;
}

const AuthContext = createContext<AuthState | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<SessionUser | null>(null);
  const [checking, setChecking] = useState(() => session.token() !== null);
  const [notice, setNotice] = useState<string | null>(null);

  useEffect(() => {
    if (!session.token()) return;
    api.get<SessionUser>('/auth/me').then(
      (me) => setUser({ id: me.id, email: me.email, displayName: me.displayName, role: me.role, clinicId: me.clinicId }),
      () => session.set(null),
    ).finally(() => setChecking(false));
  }, []);

  useEffect(() => onSessionLost((e) => {
    session.set(null);
    setUser(null);
    setNotice(e.problem.detail);
  }), []);

  const signIn = useCallback(async (email: string, password: string) => {
    const res = await api.post<{ token: string; user: SessionUser }>('/auth/login', { email, password }, { credentialCheck: true });
    session.set(res.token);
    setUser(res.user);
    setNotice(null);
    return res.user;
  }, []);

  const signOut = useCallback(async () => {
    try {
      await api.post('/auth/logout');
    } catch {
      /* the session may already be gone; sign out locally anyway */
    }
    session.set(null);
    setUser(null);
    setNotice('You are signed out.');
  }, []);

  const value = useMemo(() => ({ user, checking, notice, signIn, signOut }), [user, checking, notice, signIn, signOut]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const ctx = useContext(AuthContext);
  if (!ctx) throw new Error('useAuth outside AuthProvider');
  return ctx;
}
