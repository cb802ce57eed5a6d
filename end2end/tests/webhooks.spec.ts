import http from 'node:http';
import AxeBuilder from '@axe-core/playwright';
import type { AddressInfo } from 'node:net';
import type { Page } from '@playwright/test';
import { expect, test, apiToken } from './fixtures';
import { signIn } from './pages/editing-pages';

// Webhooks as editors use them: create a subscription (the secret shown
// once), pause and resume it, see a recorded event's release action fail
// on the event page and the matrix, fix the receiver and redeliver from
// the event page, read the delivery log — with and without JavaScript.
// Each test has its own dist and a receiver on loopback.

function unique(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
}

/** A webhook receiver on loopback: answers `status` (changeable), records ids. */
async function receiver(): Promise<{ url: string; ids: string[]; setStatus: (s: number) => void; close: () => void }> {
  const ids: string[] = [];
  let status = 500;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      ids.push(String(req.headers['webhook-id'] ?? ''));
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status >= 300 ? 'receiver is down for maintenance' : '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, ids, setStatus: (s) => (status = s), close: () => server.close() };
}

/** Fills and submits the new-subscription form on /webhooks; answers the new page's id. */
async function createSubscription(page: Page, url: string, description: string, dist: string): Promise<number> {
  await page.goto('/webhooks');
  const form = page.locator('form#webhook-form');
  // Typed key by key, as people do.
  await form.getByLabel('URL').pressSequentially(url, { delay: 5 });
  await form.getByLabel('Description').fill(description);
  await form.getByLabel('Dists').fill(dist);
  await form.getByLabel('States').fill('stable');
  await form.getByLabel('Transitions').selectOption('entered');
  await form.getByLabel('events').check();
  await form.getByLabel('Required release action').check();
  await form.getByRole('button', { name: 'Create subscription' }).click();
  await page.waitForURL(/\/webhooks\/\d+$/);
  return Number(new URL(page.url()).pathname.split('/').pop());
}

async function record(request: import('@playwright/test').APIRequestContext, dist: string, release: string): Promise<number> {
  const answer = await request.post('/api/v1/events', {
    headers: { authorization: `Bearer ${apiToken()}` },
    data: { dist, release, state: 'stable', reached: true, at: '2026-11-30T14:00:00Z' },
  });
  expect(answer.status()).toBe(201);
  return (await answer.json()).id as number;
}

test('an editor creates a required action, sees it fail on the event page and the matrix, and redelivers it', async ({ page, request }) => {
  const hook = await receiver();
  try {
    const dist = unique('e2e-hooks');
    const description = unique('Announce');
    await signIn(page, 'editor');
    const id = await createSubscription(page, hook.url, description, dist);
    // The secret, shown once.
    const secret = page.locator('main p.notice code.secret');
    await expect(secret).toHaveText(/^whsec_[A-Za-z0-9+/=]{40,}$/);
    await expect(page.locator('h1')).toHaveText(description);
    await page.reload();
    await expect(page.locator('main code.secret')).toHaveCount(0);

    // Pause and resume.
    await page.getByRole('button', { name: 'Pause' }).click();
    await expect(page.locator('dd.webhook-state')).toHaveText('paused');
    await page.getByRole('button', { name: 'Resume' }).click();
    await expect(page.locator('dd.webhook-state')).toHaveText('active');

    // Change the filter on its page.
    await page.getByText('Change URL, description or filter').click();
    const edit = page.locator('form#webhook-edit-form');
    await expect(edit.getByLabel('States')).toHaveValue('stable');
    await edit.getByLabel('States').fill('stable, eol');
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await expect(page.locator('main p.notice')).toContainText('Saved');
    await expect(page.locator('dl.event')).toContainText('stable, eol');

    // A matching event: the receiver fails, the action shows failing.
    const event = await record(request, dist, '45');
    await expect.poll(() => hook.ids.length, { timeout: 15_000 }).toBeGreaterThan(0);
    await expect
      .poll(async () => {
        await page.goto(`/events/${event}`);
        return page.locator('.release-actions li').getAttribute('data-action-state');
      }, { timeout: 15_000 })
      .toBe('failing');
    await expect(page.locator('.release-actions')).toContainText(description);
    await expect(page.locator('.release-actions')).toContainText('required');
    // The matrix marks the transition (the deliverer counts every 2 s).
    await expect
      .poll(async () => {
        await page.goto(`/dists/${dist}`);
        return page.locator('td[data-state="stable"] a.action-flag').getAttribute('href', { timeout: 1_000 }).catch(() => null);
      }, { timeout: 15_000 })
      .toBe(`/events/${event}`);

    // The receiver is fixed; redeliver from the event page.
    hook.setStatus(204);
    await page.goto(`/events/${event}`);
    await page.getByRole('button', { name: `Redeliver to ${description}` }).click();
    await page.waitForURL(`**/events/${event}`);
    await expect
      .poll(async () => {
        await page.goto(`/events/${event}`);
        return page.locator('.release-actions li').getAttribute('data-action-state');
      }, { timeout: 15_000 })
      .toBe('delivered');
    expect(new Set(hook.ids).size).toBe(1);

    // The delivery log lists every attempt.
    await page.goto(`/webhooks/${id}`);
    const row = page.locator('table.deliveries tbody tr').first();
    await expect(row).toContainText('event.reached');
    await expect(row).toContainText('delivered');
    await expect(row.locator('ol.attempts li').first()).toContainText('500');
    await expect(row.locator('ol.attempts li').last()).toContainText('204');
    await expect(page.locator('table.deliveries')).toContainText('receiver is down for maintenance');

    // axe-core finds no WCAG A/AA violation on the pages of this flow, at
    // desktop and phone width.
    for (const width of [1400, 390]) {
      await page.setViewportSize({ width, height: 900 });
      for (const path of ['/webhooks', `/webhooks/${id}`, `/events/${event}`]) {
        await page.goto(path);
        await page.waitForLoadState('networkidle');
        const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
        expect(results.violations.map((v) => `${path} ${width}px: ${v.id} ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
      }
    }
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.goto(`/webhooks/${id}`);

    // Delete it.
    await page.getByRole('button', { name: 'Delete subscription' }).click();
    await page.waitForURL('**/webhooks');
    await expect(page.locator('main')).not.toContainText(description);
  } finally {
    hook.close();
  }
});

test('people who are not editors cannot see webhooks', async ({ page, problems }) => {
  problems.expectStatus('/webhooks', 403);
  await signIn(page, 'viewer');
  const answer = await page.goto('/webhooks');
  expect(answer?.status()).toBe(403);
  await expect(page.locator('main [role="alert"]')).toContainText('not in an editor group');
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('create shows the secret once, a refused URL keeps what was typed, pause and send test work', async ({ page }) => {
    const hook = await receiver();
    hook.setStatus(204);
    try {
      const dist = unique('e2e-hooks-nojs');
      await signIn(page, 'editor');
      // A refused URL: the error beside the form, the values kept.
      await page.goto('/webhooks');
      const form = page.locator('form#webhook-form');
      await form.getByLabel('URL').fill('ftp://example.org/');
      await form.getByLabel('Description').fill('kept');
      await form.getByRole('button', { name: 'Create subscription' }).click();
      await expect(page.locator('form#webhook-form [role="alert"]')).toContainText('https://');
      await expect(page.locator('form#webhook-form').getByLabel('Description')).toHaveValue('kept');

      const id = await createSubscription(page, hook.url, 'No-JS hook', dist);
      await expect(page.locator('main p.notice code.secret')).toHaveText(/^whsec_/);
      await page.getByRole('button', { name: 'Pause' }).click();
      await expect(page.locator('dd.webhook-state')).toHaveText('paused');
      await page.getByRole('button', { name: 'Resume' }).click();
      await page.getByRole('button', { name: 'Send test' }).click();
      await expect(page.locator('main p.notice')).toContainText('Sent a test delivery');
      await expect.poll(() => hook.ids.length, { timeout: 15_000 }).toBe(1);
      await expect
        .poll(async () => {
          await page.goto(`/webhooks/${id}`);
          return page.locator('table.deliveries tbody tr').first().textContent();
        }, { timeout: 15_000 })
        .toContain('delivered');
      await expect(page.locator('table.deliveries')).toContainText('webhook.ping');
    } finally {
      hook.close();
    }
  });
});
