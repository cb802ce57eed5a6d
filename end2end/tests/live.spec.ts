import { apiToken, expect, test } from './fixtures';
import type { APIRequestContext, Page } from '@playwright/test';

/**
 * Live pages: the state matrix, the release page and the event log follow
 * the stream; a change recorded through the API shows within a second,
 * marked as new, without a reload. A dist of its own keeps other tests'
 * pages out of it.
 */
const dist = `live${Date.now().toString(36)}`;

async function post(request: APIRequestContext, path: string, data: object): Promise<any> {
  const res = await request.post(path, { headers: { Authorization: `Bearer ${apiToken()}` }, data });
  expect(res.status(), await res.text()).toBe(201);
  return res.json();
}

async function record(request: APIRequestContext, release: string, state: string): Promise<number> {
  const e = await post(request, '/api/v1/events', { dist, release, state, reached: true, at: '2026-02-10T14:00:00Z' });
  return e.id;
}

/** Opens `path` and waits until its stream is open. */
async function openLive(page: Page, path: string): Promise<void> {
  const res = await page.goto(path);
  expect(res?.status()).toBe(200);
  await expect(page.locator('.live-status')).toHaveAttribute('data-live-state', 'open', { timeout: 10_000 });
}

test.describe('live pages', () => {
  test.beforeAll(async ({ request }) => {
    await record(request, '1', 'branched');
  });

  test('the event log shows a new event and its retraction within a second', async ({ page, request }) => {
    await openLive(page, `/events?dist=${dist}`);
    const reloads: string[] = [];
    page.on('framenavigated', (f) => reloads.push(f.url()));

    const id = await record(request, '2', 'branched');
    const row = page.locator(`tr[data-id="${id}"]`);
    await expect(row).toBeVisible({ timeout: 1_000 });
    await expect(row).toHaveClass(/live-new/);

    await post(request, `/api/v1/events/${id}/retract`, { reason: 'recorded by the live test' });
    await expect(row).toHaveClass(/retracted/, { timeout: 1_000 });
    await expect(row.getByText('retracted')).toBeVisible();
    expect(reloads, 'no reload').toEqual([]);
  });

  test('the matrix shows a new release and keeps the scroll position', async ({ page, request }) => {
    await page.setViewportSize({ width: 390, height: 500 });
    await openLive(page, `/dists/${dist}`);
    await page.evaluate(() => window.scrollTo(0, 120));
    const before = await page.evaluate(() => window.scrollY);

    await record(request, '3', 'stable');
    const row = page.locator('tr[data-release="3"]');
    await expect(row).toBeVisible({ timeout: 1_000 });
    await expect(row).toHaveClass(/live-new/);
    await expect(row.locator('td[data-state="stable"]')).toHaveAttribute('data-in', 'true');
    expect(await page.evaluate(() => window.scrollY)).toBe(before);
    await expect(page.locator('.live-status')).toHaveText(/Updated/);
  });

  test('the release page shows a new state', async ({ page, request }) => {
    await openLive(page, `/dists/${dist}/releases/1`);
    await record(request, '1', 'frozen');
    const section = page.locator('section.state-history[data-state="frozen"]');
    await expect(section).toBeVisible({ timeout: 1_000 });
    await expect(section).toHaveClass(/live-new/);
    await expect(page.locator('p.current')).toContainText('frozen');
  });

  test('an "as of" page stays still', async ({ page }) => {
    const res = await page.goto(`/dists/${dist}?at=2026-03-01`);
    expect(res?.status()).toBe(200);
    await expect(page.locator('.live-status')).toHaveCount(0);
  });
});
