import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';

// The renderer: built into dist/renderer with relative asset paths, so the same build is served by
// the HTTP server (browser mode) and loaded from file:// by Electron.
export default defineConfig({
  root: fileURLToPath(new URL('./renderer', import.meta.url)),
  base: './',
  plugins: [react()],
  build: {
    // RENDERER_DIR: another folder (engineers running end-to-end tests side by side in one tree).
    outDir: process.env.RENDERER_DIR || fileURLToPath(new URL('./dist/renderer', import.meta.url)),
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
    sourcemap: false,
  },
  server: {
    port: 5173,
    // During development, `vite` forwards RPC calls to a running `commune-returns web` server.
    proxy: { '/api': `http://127.0.0.1:${process.env.API_PORT ?? '4319'}` },
  },
});
