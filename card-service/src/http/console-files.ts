import { resolve } from 'node:path';
import express, { type Express } from 'express';

/** Where the console is served; its pages call the API at `/v1/…` on the same origin. */
export const CONSOLE_PATH = '/console';

/**
 * What the console's pages may load: its own script, style sheet and font files, and calls to
 * this origin. Nothing inline, no other origin (no CDN), no framing (the console acts with an
 * operator's token, so a page that framed it could trick a click).
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "font-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Serves the operator console's built files under `/console/`. The page is public (it holds no
 * data); everything it shows comes from the API with the operator's token, which the page keeps
 * in its tab's sessionStorage and sends as a bearer header, never in a URL.
 */
export function serveConsole(app: Express, dir: string): void {
  const root = resolve(dir);
  app.use(CONSOLE_PATH, (_req, res, next) => {
    res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    next();
  });
  app.use(
    CONSOLE_PATH,
    express.static(root, {
      index: 'index.html',
      dotfiles: 'ignore',
      fallthrough: true,
      redirect: true,
      setHeaders: (res, path) => {
        // The page names its script and style sheet without a hash: a new build must be seen at
        // once. Fonts carry a content hash in their names and can be kept.
        res.setHeader(
          'Cache-Control',
          /[\\/]fonts[\\/]/.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache',
        );
      },
    }),
  );
}
