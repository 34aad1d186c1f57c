import { describe, expect, it } from 'vitest';
import { href, parseRoute } from './router';

describe('the Cloud page’s address', () => {
  it('carries the rows it opens at: a connection, the days, the scope published', () => {
    const route = { page: 'cloud', view: { connectionId: 4, from: '2024-01-01', to: '2024-12-31', scope: 2 } } as const;
    expect(href(route)).toBe('#/cloud?connection=4&from=2024-01-01&to=2024-12-31&scope=2');
    expect(parseRoute(href(route))).toEqual(route);
    expect(href({ page: 'cloud' })).toBe('#/cloud');
    expect(parseRoute('#/cloud')).toEqual({ page: 'cloud' });
  });

  it('leaves out what is not a connection, a day or a scope', () => {
    expect(parseRoute('#/cloud?connection=x&from=2024-1-1&to=2024-12-31&scope=7')).toEqual({
      page: 'cloud',
      view: { connectionId: null, from: null, to: '2024-12-31', scope: null },
    });
    expect(parseRoute('#/cloud?scope=0')).toEqual({ page: 'cloud' });
  });
});
