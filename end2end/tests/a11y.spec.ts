import AxeBuilder from '@axe-core/playwright';
import { expect, test } from './fixtures';

/**
 * axe-core (from npm) on the pages people read, at desktop and phone
 * width: no WCAG 2.1 A/AA violation, scrollable tables reachable by
 * keyboard (`scrollable-region-focusable`) included.
 */
const pages = [
  '/',
  '/dists/fedora',
  '/dists/fedora?at=2021-03-01',
  '/dists/fedora/releases/40',
  '/events',
  '/events/1',
  '/calendar?year=2024&month=4',
  '/calendar?view=year',
  '/calendar?view=lifecycle',
  '/status',
  '/api',
];

for (const width of [1400, 390]) {
  for (const path of pages) {
    test(`no WCAG A/AA violation on ${path} at ${width} px`, async ({ page }) => {
      await page.setViewportSize({ width, height: 900 });
      const res = await page.goto(path);
      expect(res?.status()).toBe(200);
      await page.waitForLoadState('networkidle');
      const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
      const found = results.violations.map(
        (v) => `${v.id} (${v.help}): ${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join(', ')}`,
      );
      expect(found).toEqual([]);
    });
  }
}

test('a release before its first event says it had not started', async ({ page }) => {
  const res = await page.goto('/dists/fedora/releases/40?at=2020-01-01');
  expect(res?.status()).toBe(200);
  await expect(page.locator('p.current')).toHaveText('Not started yet on 2020-01-01.');
});
