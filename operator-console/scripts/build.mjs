// Bundles the operator console into dist/www, the static directory card-service serves under
// /console/ (its `consoleDir`). `tsc -b` type-checks the sources; this step produces what the
// browser loads: one script (Preact, the ECharts parts the charts use, the API contract), one
// style sheet with the bundled font, and the font files themselves. Nothing is loaded from a CDN.
import { copyFile, mkdir, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'www');

/** As in kiosk-ui: Chromium always takes the WOFF2, so Fontsource's WOFF fallbacks are dropped. */
const woff2Only = {
  name: 'woff2-only',
  setup(b) {
    b.onLoad({ filter: /[\\/]@fontsource[\\/].*\.css$/ }, async (args) => {
      const css = await readFile(args.path, 'utf8');
      return {
        contents: css.replace(/,\s*url\([^)]*\.woff\)\s*format\('woff'\)/g, ''),
        loader: 'css',
        resolveDir: dirname(args.path),
      };
    });
  },
};

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
await build({
  absWorkingDir: root,
  entryPoints: { app: 'src/main.tsx', styles: 'src/styles.css' },
  outdir: out,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'chrome110',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: true,
  sourcemap: 'linked',
  legalComments: 'linked',
  loader: { '.woff2': 'file' },
  assetNames: 'fonts/[name]-[hash]',
  plugins: [woff2Only],
  logLevel: 'warning',
});
await copyFile(join(root, 'src', 'index.html'), join(out, 'index.html'));
