import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';

/** How a Debian machine gets the browser the report tests drive (no browser is downloaded). */
export const CHROMIUM_INSTALL = 'apt-get update && apt-get install -y chromium';

/**
 * The Chromium executable: `CHROMIUM_PATH`, else the Debian package's. Missing, it throws with the
 * install command: the browser tests fail loudly instead of skipping.
 */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  const candidates = [env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(
    (p): p is string => p !== undefined && p !== '',
  );
  const found = candidates.find((p) => existsSync(p));
  if (found === undefined) {
    throw new Error(
      `no Chromium at ${candidates.join(' or ')}: install it with \`${CHROMIUM_INSTALL}\` (or set CHROMIUM_PATH)`,
    );
  }
  return found;
}

/** A page opened from a local file, with what went wrong while it loaded. */
export interface OpenedPage {
  browser: Browser;
  page: Page;
  /** Console errors and uncaught page errors. */
  errors: string[];
  /** Requests for anything but the file itself (a self-contained page makes none; they are refused). */
  external: string[];
}

/** Opens `file` in headless Chromium with every non-file request refused and recorded. */
export async function openInChromium(options: {
  file: string;
  viewport?: { width: number; height: number };
}): Promise<OpenedPage> {
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    // Tests run as root in CI containers, where Chromium's sandbox cannot start.
    args: ['--no-sandbox'],
  });
  const page = await browser.newPage({ viewport: options.viewport ?? { width: 1280, height: 900 } });
  const errors: string[] = [];
  const external: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file:')) return route.continue();
    external.push(url);
    return route.abort();
  });
  await page.goto(`file://${options.file}`, { waitUntil: 'load' });
  return { browser, page, errors, external };
}
