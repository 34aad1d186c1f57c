import '@testing-library/jest-dom/vitest';
import { cleanup } from '@testing-library/react';
import { afterEach } from 'vitest';

// jsdom has no layout: give the virtualised ledger and the chart a size to work with.
class FakeResizeObserver {
  private cb: ResizeObserverCallback;
  constructor(cb: ResizeObserverCallback) {
    this.cb = cb;
  }
  observe(target: Element) {
    this.cb([{ target, contentRect: { width: 1000, height: 560 } } as unknown as ResizeObserverEntry], this as unknown as ResizeObserver);
  }
  unobserve() {}
  disconnect() {}
}
if (!('ResizeObserver' in globalThis)) {
  (globalThis as { ResizeObserver?: unknown }).ResizeObserver = FakeResizeObserver;
}
if (!Element.prototype.scrollTo) {
  Element.prototype.scrollTo = function scrollTo(this: Element, opts?: ScrollToOptions | number) {
    if (typeof opts === 'object' && opts?.top !== undefined) (this as HTMLElement).scrollTop = opts.top;
  } as Element['scrollTo'];
}

afterEach(() => {
  cleanup();
  window.location.hash = '';
});

// …and a viewport size, which is what the virtualiser reads from its scroll element.
Object.defineProperty(HTMLElement.prototype, 'clientHeight', { configurable: true, get: () => 560 });
Object.defineProperty(HTMLElement.prototype, 'clientWidth', { configurable: true, get: () => 1000 });
