import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

// The window of the desktop app. Tauri loads `dist/` from disk, so every asset path is
// relative, and in development it expects the server on a fixed port.
export default defineConfig({
  base: './',
  plugins: [react()],
  clearScreen: false,
  server: {
    port: 5173,
    strictPort: true,
    // The https bounce page (../web/oauth-bounce) is tested here beside the window's code.
    fs: { allow: ['.', '../web/oauth-bounce'] },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 400,
  },
  test: {
    environment: 'jsdom',
    setupFiles: ['./src/test/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
    css: false,
    restoreMocks: true,
    env: { TZ: 'UTC' },
  },
});
