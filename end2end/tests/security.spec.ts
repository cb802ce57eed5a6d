import type { Page } from '@playwright/test';
import { test, expect } from './fixtures';
import { MatrixPage } from './pages/matrix-page';

/**
 * The Content-Security-Policy of the pages (issue 13): the islands still
 * hydrate under it, and no page reports a violation.
 */

/** Records every `securitypolicyviolation` the page reports. */
async function recordViolations(page: Page): Promise<() => Promise<string[]>> {
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __csp: string[] }).__csp = seen;
    document.addEventListener('securitypolicyviolation', (e) => {
      seen.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile}:${e.lineNumber})`);
    });
  });
  return () => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp ?? []);
}

test('the date picker island hydrates under the policy, without violations', async ({ page }) => {
  const violations = await recordViolations(page);
  const matrix = new MatrixPage(page);
  const response = await page.goto('/');
  const policy = response?.headers()['content-security-policy'] ?? '';
  expect(policy).toContain("frame-ancestors 'none'");
  expect(policy).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9_-]+' 'wasm-unsafe-eval'/);

  // Only the hydrated island submits on change (see matrix.spec.ts).
  await expect(async () => {
    await matrix.chooseDate('2021-03-01');
    await page.waitForURL((url) => url.searchParams.get('at') === '2021-03-01', { timeout: 2_000 });
  }).toPass({ timeout: 20_000 });
  await matrix.settle();
  expect(await violations()).toEqual([]);
});

for (const path of ['/dists/fedora', '/dists/fedora/releases/40', '/calendar', '/calendar?view=year', '/events', '/events/1', '/status', '/api']) {
  test(`no policy violation on ${path}`, async ({ page }) => {
    const violations = await recordViolations(page);
    const response = await page.goto(path);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['x-content-type-options']).toBe('nosniff');
    await page.waitForLoadState('networkidle');
    expect(await violations()).toEqual([]);
  });
}
