import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The console is served by the API at /console (src/http/routes/console.ts). No plugin:
// Oxc turns JSX into Preact calls, and no inline script is emitted (the CSP forbids it).
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
  },
});
