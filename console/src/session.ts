/**
 * The signed-in user: the bearer token in sessionStorage (gone when the tab closes; never in
 * localStorage or a cookie), with the name, role and expiry read from its claims for display.
 * The API still checks every request: the role here only decides which buttons are shown.
 */
const KEY = 'mlops.session';

export interface SessionInfo {
  readonly token: string;
  readonly username: string;
  readonly role: 'admin' | 'user';
  /** Epoch seconds. */
  readonly expiresAt: number;
}

function claims(token: string): { sub?: string; role?: string; exp?: number } {
  try {
    const part = token.split('.')[1] ?? '';
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    return JSON.parse(json) as { sub?: string; role?: string; exp?: number };
  } catch {
    return {};
  }
}

function read(): SessionInfo | undefined {
  try {
    const raw = sessionStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as SessionInfo) : undefined;
  } catch {
    return undefined;
  }
}

export const session = {
  current: read,
  token: () => read()?.token,
  isAdmin: () => read()?.role === 'admin',
  save(token: string): SessionInfo {
    const c = claims(token);
    const info: SessionInfo = {
      token,
      username: c.sub ?? '?',
      role: c.role === 'admin' ? 'admin' : 'user',
      expiresAt: c.exp ?? 0,
    };
    sessionStorage.setItem(KEY, JSON.stringify(info));
    return info;
  },
  clear() {
    sessionStorage.removeItem(KEY);
  },
};
