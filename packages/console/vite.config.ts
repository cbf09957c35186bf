import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The console is a static single-page app: `vite build` writes `dist/`, which `longhand serve`
// serves at `/`. JSX is compiled by Vite's own transformer (automatic runtime), so no plugin.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
  },
  server: {
    // `npm run dev -w @longhand/console` proxies the API to a running `longhand serve`.
    proxy: { '/v1': process.env.LONGHAND_URL ?? 'http://127.0.0.1:4680', '/health': process.env.LONGHAND_URL ?? 'http://127.0.0.1:4680' },
  },
  logLevel: 'warn',
});
