import { useEffect, useState } from 'preact/hooks';

/** Hash routes (`#/runs/abc`): the console is static files, so every page is index.html. */
export interface Route {
  readonly page: string;
  readonly params: readonly string[];
  readonly query: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const [path = '', search = ''] = hash.replace(/^#\/?/, '').split('?');
  const [page = 'predict', ...params] = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { page, params, query: new URLSearchParams(search) };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(window.location.hash));
  useEffect(() => {
    const update = () => setRoute(parseHash(window.location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}

export const href = (...parts: (string | number)[]) =>
  `#/${parts.map((p) => encodeURIComponent(String(p))).join('/')}`;

export function navigate(to: string): void {
  window.location.hash = to;
}
