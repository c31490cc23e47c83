import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`, done by `.ci/run` when missing); `CHROMIUM_PATH` overrides it. */
const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Flags that keep the browser on loopback: without the background-networking ones Chromium keeps trying Google's
 * hosts, which this machine's closed network refuses; even with them it still looks up `update.googleapis.com` and
 * `accounts.google.com`, so every name but `localhost` and `127.0.0.1` resolves to nothing without asking DNS. `--no-sandbox` because
 * CI runs as root.
 */
const LOOPBACK_ONLY_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-domain-reliability',
  '--metrics-recording-only',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1',
];

/** Headless Debian Chromium driven by playwright-core (never a downloaded browser). Close it in `afterAll`. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: LOOPBACK_ONLY_FLAGS });
}

/** Where tests save screenshots (a CI artefact; ignored by git): `test-results/screenshots/`. */
const SCREENSHOT_DIR = path.resolve(__dirname, '../../test-results/screenshots');

/** Saves a full-page screenshot of `page` as `test-results/screenshots/<name>.png` and answers its path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
