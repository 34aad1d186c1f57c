// The ledger's page cache. The ledger can hold a million entries, so the window never
// loads it whole: it asks for the pages (of ~200 rows) that the visible rows fall in, asks
// once for a page already on its way, and forgets the pages used least recently once it
// holds more than it needs.

export interface PageResult<T> {
  /** The size of the whole selection. */
  total: number;
  entries: T[];
}

export type PageFetcher<T> = (offset: number, limit: number) => Promise<PageResult<T>>;

export interface PagedRowsOptions<T> {
  /** Rows per request (default 200). */
  pageSize?: number;
  /** Pages kept in memory at most (default 50, i.e. 10,000 rows). */
  maxPages?: number;
  /**
   * The cache this one replaces (same selection, older data): its rows are shown while
   * the fresh pages load, so a refresh does not blank the table.
   */
  previous?: PagedRows<T> | null;
}

export class PagedRows<T> {
  readonly pageSize: number;
  private readonly maxPages: number;
  private readonly fetchPage: PageFetcher<T>;
  private pages = new Map<number, T[]>();
  private inflight = new Map<number, Promise<void>>();
  private failures = new Map<number, unknown>();
  private listeners = new Set<() => void>();
  private previous: PagedRows<T> | null;
  private knownTotal: number | null = null;
  private disposed = false;
  private lastRange: [number, number] = [0, 0];
  /** Changes whenever what `get` or `total` answers may have changed. */
  version = 0;

  constructor(fetchPage: PageFetcher<T>, options: PagedRowsOptions<T> = {}) {
    this.fetchPage = fetchPage;
    this.pageSize = Math.max(1, options.pageSize ?? 200);
    this.maxPages = Math.max(2, options.maxPages ?? 50);
    this.previous = options.previous ?? null;
  }

  /** Rows in the selection, or null before the first page has answered. */
  get total(): number | null {
    return this.knownTotal ?? this.previous?.total ?? null;
  }

  /** Whether the first answer has come (with or without rows). */
  get ready(): boolean {
    return this.knownTotal !== null;
  }

  /** The first failure of a page still missing, if any. */
  get error(): unknown {
    for (const e of this.failures.values()) return e;
    return null;
  }

  /** The row at `index`, or undefined while its page is not loaded. */
  get(index: number): T | undefined {
    const page = Math.floor(index / this.pageSize);
    const rows = this.pages.get(page);
    if (rows) {
      // Mark as recently used.
      this.pages.delete(page);
      this.pages.set(page, rows);
      return rows[index - page * this.pageSize];
    }
    return this.previous?.peek(index);
  }

  /** Like `get`, without changing which pages count as recently used. */
  peek(index: number): T | undefined {
    const page = Math.floor(index / this.pageSize);
    return this.pages.get(page)?.[index - page * this.pageSize];
  }

  isLoaded(index: number): boolean {
    return this.pages.has(Math.floor(index / this.pageSize));
  }

  /** Pages that cover rows `start` to `end` inclusive. */
  pagesFor(start: number, end: number): number[] {
    const first = Math.max(0, Math.floor(Math.min(start, end) / this.pageSize));
    let last = Math.floor(Math.max(start, end) / this.pageSize);
    if (this.knownTotal !== null) last = Math.min(last, Math.max(0, Math.ceil(this.knownTotal / this.pageSize) - 1));
    const out: number[] = [];
    for (let p = first; p <= last; p++) out.push(p);
    return out;
  }

  /**
   * Loads the pages rows `start` to `end` fall in that are neither loaded, on their way,
   * nor failed (a failed page waits for `retry`). Resolves when they have answered.
   */
  ensure(start: number, end: number): Promise<void> {
    if (this.disposed) return Promise.resolve();
    this.lastRange = [start, end];
    const waits: Promise<void>[] = [];
    for (const p of this.pagesFor(start, end)) {
      if (this.pages.has(p) || this.failures.has(p)) continue;
      waits.push(this.inflight.get(p) ?? this.load(p));
    }
    return Promise.all(waits).then(() => undefined);
  }

  /** Forgets failures and loads the last range asked for again. */
  retry(): Promise<void> {
    this.failures.clear();
    this.bump();
    return this.ensure(...this.lastRange);
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  };

  getVersion = (): number => this.version;

  /** Stops telling anyone about answers that arrive later, and lets the previous cache go. */
  dispose(): void {
    this.disposed = true;
    this.listeners.clear();
    this.previous = null;
  }

  private load(page: number): Promise<void> {
    const promise = this.fetchPage(page * this.pageSize, this.pageSize)
      .then(
        (result) => {
          if (this.disposed) return;
          this.pages.set(page, result.entries);
          this.knownTotal = result.total;
          this.failures.delete(page);
          this.evict(page);
        },
        (error: unknown) => {
          if (this.disposed) return;
          this.failures.set(page, error);
        },
      )
      .finally(() => {
        this.inflight.delete(page);
        // Once every page asked for has answered, the old rows are no longer needed.
        if (this.inflight.size === 0 && this.pages.size > 0) this.previous = null;
        this.bump();
      });
    this.inflight.set(page, promise);
    return promise;
  }

  private evict(keep: number): void {
    while (this.pages.size > this.maxPages) {
      const oldest = this.pages.keys().next().value as number | undefined;
      if (oldest === undefined) break;
      if (oldest === keep) {
        // Never drop the page that just arrived; move it to the recent end.
        const rows = this.pages.get(oldest)!;
        this.pages.delete(oldest);
        this.pages.set(oldest, rows);
        continue;
      }
      this.pages.delete(oldest);
    }
  }

  private bump(): void {
    if (this.disposed) return;
    this.version++;
    for (const l of [...this.listeners]) l();
  }
}
