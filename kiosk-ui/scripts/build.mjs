// Bundles the kiosk UI into dist/www, the static directory the terminal agent serves (api.uiDir).
// `tsc -b` type-checks the sources; this step produces what the browser loads: one script, one
// style sheet with the bundled font, and the font files themselves.
import { copyFile, cp, mkdir, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'www');

/**
 * Fontsource's style sheets list a WOFF fallback after every WOFF2 file. Chromium always takes the
 * WOFF2, so the fallbacks would only double the size of the kiosk's files. With them stripped, a
 * WOFF left behind fails the build (no loader for .woff) instead of shipping unnoticed.
 */
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
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir: out,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'chrome110',
  minify: true,
  sourcemap: 'linked',
  legalComments: 'linked',
  loader: { '.woff2': 'file' },
  assetNames: 'fonts/[name]-[hash]',
  plugins: [woff2Only],
  logLevel: 'warning',
});
await copyFile(join(root, 'src', 'index.html'), join(out, 'index.html'));
// The spoken prompts (scripts/make-prompts.sh made them), served beside the page.
await cp(join(root, 'audio'), join(out, 'audio'), { recursive: true });
