import { apiToken, expect, test } from './fixtures';
import { EventPage } from './pages/event-page';
import { EventsPage } from './pages/events-page';

test.describe('event log', () => {
  test('filters by dist and release', async ({ page }) => {
    const events = new EventsPage(page);
    await events.goto();
    await expect(events.heading).toHaveText('Event log');

    await events.filter({ dist: 'fedora', release: '34' });

    const rows = await events.shownRows();
    expect(rows.map((r) => [r.when, r.release, r.change])).toEqual([
      ['2022-06-07', 'Fedora 34', 'entered eol'],
      ['2022-06-07', 'Fedora 34', 'left stable'],
      ['2021-04-27', 'Fedora 34', 'entered stable'],
    ]);
    // The form shows the filter in force.
    await expect(events.distSelect).toHaveValue('fedora');
    await expect(events.releaseInput).toHaveValue('34');
    // A single page: nothing older.
    await expect(events.olderLink).toHaveCount(0);
  });

  test('filters by state and dates', async ({ page }) => {
    const events = new EventsPage(page);
    await events.goto();

    await events.filter({ dist: 'fedora', state: 'stable', since: '2021-01-01', until: '2021-12-31' });

    const rows = await events.shownRows();
    expect(rows.map((r) => `${r.when} ${r.release} ${r.change}`).sort()).toEqual([
      '2021-04-27 Fedora 34 entered stable',
      '2021-05-25 Fedora 32 left stable',
      '2021-11-02 Fedora 35 entered stable',
      '2021-11-30 Fedora 33 left stable',
    ]);
    await expect(events.sinceInput).toHaveValue('2021-01-01');
    await expect(events.untilInput).toHaveValue('2021-12-31');
  });

  test('pages to older events and back to the newest', async ({ page }) => {
    const events = new EventsPage(page);
    await events.goto();
    const first = await events.ids();
    expect(first.length).toBeGreaterThan(10);
    expect(first, 'newest first').toEqual([...first].sort((a, b) => b - a));
    await expect(events.newestLink).toHaveCount(0);
    await expect(events.olderLink).toHaveAttribute('rel', 'next');

    await events.goToOlder();

    const second = await events.ids();
    expect(second.length).toBeGreaterThan(0);
    expect(second, 'newest first').toEqual([...second].sort((a, b) => b - a));
    expect(Math.max(...second), 'older than all of the first page').toBeLessThan(Math.min(...first));

    await events.goToNewest();

    expect(new URL(page.url()).search).toBe('');
    const again = await events.ids();
    // The API spec may have added events meanwhile, never removed any.
    expect(again).toEqual(expect.arrayContaining(first.slice(-10)));
  });

  test('opens an event from the log', async ({ page }) => {
    const events = new EventsPage(page);
    await events.goto({ dist: 'fedora', release: '34' });
    const [row] = (await events.shownRows()).filter((r) => r.change === 'entered stable');

    const event = await events.openEvent(row.id);

    await expect(event.heading).toHaveText('Fedora 34 entered stable');
    await expect(event.value('Event')).toContainText(`#${row.id}`);
    await expect(event.value('Release').getByRole('link')).toHaveAttribute('href', '/dists/fedora/releases/34');
    await expect(event.value('Change')).toContainText('entered stable');
    await expect(event.value('When')).toHaveText('2021-04-27');
    await expect(event.value('Recorded')).toContainText('import-history');
    await expect(event.retraction).toHaveCount(0);
    const json = await page.request.get(`/api/v1/events/${row.id}`);
    expect(await json.json()).toMatchObject({ id: row.id, dist: 'fedora', release: '34', state: 'stable', reached: true });
  });

  test('shows the retraction of a retracted event', async ({ page }) => {
    // A dist of its own, long ago, so that no other test sees it change.
    const headers = { Authorization: `Bearer ${apiToken()}` };
    const created = await page.request.post('/api/v1/events', {
      headers,
      data: { dist: 'zz-e2e', release: '1', state: 'beta', reached: true, at: '1990-01-02T00:00:00Z' },
    });
    expect(created.status(), await created.text()).toBe(201);
    const { id } = (await created.json()) as { id: number };
    const retracted = await page.request.post(`/api/v1/events/${id}/retract`, {
      headers,
      data: { reason: 'Recorded by mistake (e2e).' },
    });
    expect(retracted.status(), await retracted.text()).toBe(201);

    const events = new EventsPage(page);
    await events.goto({ dist: 'zz-e2e' });
    expect(await events.shownRows()).toEqual([
      { id, when: '1990-01-02', release: 'Zz-e2e 1', change: 'entered beta', badges: ['retracted'], retracted: true },
    ]);

    const event = new EventPage(page);
    await event.goto(id);
    await expect(event.retraction).toBeVisible();
    await expect(event.retraction.getByRole('heading', { name: 'Retracted' })).toBeVisible();
    await expect(event.retraction.locator('blockquote')).toHaveText('Recorded by mistake (e2e).');
    await expect(event.retraction).toContainText('This event no longer counts in any view.');
  });
});
