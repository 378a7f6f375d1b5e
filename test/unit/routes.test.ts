import { matchRoute, pathExists, ROUTES, routeKey } from '../../core/api/routes.js';

describe('route table', () => {
  test('route keys are unique', () => {
    const keys = ROUTES.map(routeKey);
    expect(new Set(keys).size).toBe(keys.length);
  });

  test('matches literal paths and extracts path parameters', () => {
    expect(matchRoute('POST', '/predict')?.route.function).toBe('predict');
    expect(matchRoute('GET', '/predict')).toBeUndefined();
    expect(pathExists('/predict')).toBe(true);
    expect(matchRoute('GET', '/nowhere')).toBeUndefined();
  });

  test('every route names a function and an access level', () => {
    for (const route of ROUTES) {
      expect(['auth', 'predict', 'admin', 'docs']).toContain(route.function);
      expect(['public', 'user', 'admin']).toContain(route.access);
      expect(route.path.startsWith('/')).toBe(true);
    }
  });
});
