// Bundle the command line (and with it the core and the HTTP server) into dist-cli/, so the
// browser mode starts in a fraction of the time tsx needs to compile the sources. Packages stay
// in node_modules; the Excel code is split into chunks loaded on first use.
import { build } from 'esbuild';

await build({
  entryPoints: { bin: 'cli/bin.ts' },
  outdir: 'dist-cli',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});
