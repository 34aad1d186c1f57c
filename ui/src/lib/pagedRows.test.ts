import { describe, expect, it, vi } from 'vitest';
import { PagedRows, type PageResult } from './pagedRows';

const TOTAL = 1_000_000;

/** A backend of `total` numbered rows whose answers wait until released. */
function backend(total = TOTAL) {
  const calls: { offset: number; limit: number }[] = [];
  const pending: (() => void)[] = [];
  const fetchPage = vi.fn((offset: number, limit: number): Promise<PageResult<number>> => {
    calls.push({ offset, limit });
    return new Promise((resolve) => {
      pending.push(() => {
        const entries: number[] = [];
        for (let i = offset; i < Math.min(total, offset + limit); i++) entries.push(i);
        resolve({ total, entries });
      });
    });
  });
  const releaseAll = async () => {
    while (pending.length) pending.shift()!();
    await Promise.resolve();
    await new Promise((r) => setTimeout(r, 0));
  };
  return { fetchPage, calls, releaseAll };
}

describe('PagedRows', () => {
  it('fetches only the pages the rows in view fall in', async () => {
    const b = backend();
    const rows = new PagedRows(b.fetchPage, { pageSize: 200 });
    const done = rows.ensure(450, 620);
    await b.releaseAll();
    await done;
    expect(b.calls).toEqual([
      { offset: 400, limit: 200 },
      { offset: 600, limit: 200 },
    ]);
    expect(rows.get(450)).toBe(450);
    expect(rows.get(620)).toBe(620);
    expect(rows.get(0)).toBeUndefined();
    expect(rows.total).toBe(TOTAL);
  });

  it('jumps to the end of a million rows without loading what lies between', async () => {
    const b = backend();
    const rows = new PagedRows(b.fetchPage, { pageSize: 200 });
    const done = rows.ensure(999_990, 999_999);
    await b.releaseAll();
    await done;
    expect(b.calls).toEqual([{ offset: 999_800, limit: 200 }]);
    expect(rows.get(999_999)).toBe(999_999);
  });

  it('asks once for a page already on its way', async () => {
    const b = backend();
    const rows = new PagedRows(b.fetchPage, { pageSize: 200 });
    const first = rows.ensure(0, 50);
    const second = rows.ensure(10, 60);
    const third = rows.ensure(100, 199);
    expect(b.fetchPage).toHaveBeenCalledTimes(1);
    await b.releaseAll();
    await Promise.all([first, second, third]);
    expect(rows.get(120)).toBe(120);
  });

  it('does not fetch a page it already holds', async () => {
    const b = backend();
    const rows = new PagedRows(b.fetchPage, { pageSize: 200 });
    const done = rows.ensure(0, 10);
    await b.releaseAll();
    await done;
    await rows.ensure(5, 150);
    expect(b.fetchPage).toHaveBeenCalledTimes(1);
  });

  it('asks for no page past the end once the total is known', async () => {
    const b = backend(450);
    const rows = new PagedRows(b.fetchPage, { pageSize: 200 });
    const done = rows.ensure(0, 0);
    await b.releaseAll();
    await done;
    expect(rows.pagesFor(300, 5000)).toEqual([1, 2]);
  });

  it('forgets the pages used least recently beyond its limit', async () => {
    const b = backend();
    const rows = new PagedRows(b.fetchPage, { pageSize: 100, maxPages: 3 });
    for (const start of [0, 100, 200, 300]) {
      const done = rows.ensure(start, start);
      await b.releaseAll();
      await done;
    }
    expect(rows.isLoaded(0)).toBe(false);
    expect(rows.isLoaded(300)).toBe(true);
    expect(rows.isLoaded(100)).toBe(true);
  });

  it('tells its subscribers when rows arrive', async () => {
    const b = backend();
    const rows = new PagedRows(b.fetchPage, { pageSize: 200 });
    const listener = vi.fn();
    rows.subscribe(listener);
    const before = rows.version;
    const done = rows.ensure(0, 0);
    await b.releaseAll();
    await done;
    expect(listener).toHaveBeenCalled();
    expect(rows.version).toBeGreaterThan(before);
  });

  it('keeps a failed page failed until asked to retry, then loads it', async () => {
    let fail = true;
    const fetchPage = vi.fn(async (offset: number, limit: number) => {
      if (fail) throw { code: 'database', message: 'The database is locked', detail: null, permanent: false };
      return { total: 1000, entries: Array.from({ length: limit }, (_, i) => offset + i) };
    });
    const rows = new PagedRows(fetchPage, { pageSize: 200 });
    await rows.ensure(0, 10);
    expect(rows.error).toMatchObject({ message: 'The database is locked' });
    await rows.ensure(0, 10);
    expect(fetchPage).toHaveBeenCalledTimes(1);
    fail = false;
    await rows.retry();
    expect(rows.error).toBeNull();
    expect(rows.get(5)).toBe(5);
  });

  it('shows the rows of the cache it replaces until its own arrive', async () => {
    const old = new PagedRows(async (o, l) => ({ total: 500, entries: Array.from({ length: l }, (_, i) => `old ${o + i}`) }));
    await old.ensure(0, 10);
    const b = backend(500);
    const fresh = new PagedRows<number | string>(b.fetchPage, { previous: old as PagedRows<number | string> });
    expect(fresh.total).toBe(500);
    expect(fresh.get(3)).toBe('old 3');
    const done = fresh.ensure(0, 10);
    await b.releaseAll();
    await done;
    expect(fresh.get(3)).toBe(3);
  });
});
