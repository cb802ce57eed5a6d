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
    // Newest first by when it happened; a move at one instant is one row.
    expect(rows.map((r) => [r.when, r.release, r.change])).toEqual([
      ['2022-06-07', 'Fedora 34', 'stable → eol'],
      ['2021-04-27', 'Fedora 34', 'entered stable'],
    ]);
    await expect(page).toHaveTitle('Event log: Fedora 34 · releasetracker');
    // No empty parameters in the URL.
    expect(new URL(page.url()).search).toBe('?dist=fedora&release=34');
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
    await events.goto({ dist: 'fedora' });
    const dates = async () => (await events.shownRows()).map((r) => r.when.slice(0, 10));
    const first = await dates();
    expect(first.length).toBeGreaterThan(10);
    expect(first, 'newest first by when it happened').toEqual([...first].sort().reverse());
    await expect(events.newestLink).toHaveCount(0);
    await expect(events.olderLink).toHaveAttribute('rel', 'next');
    const firstIds = await events.ids();

    await events.goToOlder();

    const second = await dates();
    expect(second.length).toBeGreaterThan(0);
    expect(second, 'newest first').toEqual([...second].sort().reverse());
    expect(second[0] <= first[first.length - 1], 'no later than the first page').toBe(true);
    expect(await events.ids()).not.toEqual(expect.arrayContaining([firstIds[0]]));

    await events.goToNewest();

    expect(new URL(page.url()).search).toBe('?dist=fedora');
    expect(await events.ids()).toEqual(expect.arrayContaining(firstIds.slice(-10)));
  });

  test('switches to recording order and back', async ({ page }) => {
    const events = new EventsPage(page);
    await events.goto();
    await expect(events.order).toContainText('Newest first by when it happened');

    await events.sortBy('Sort by when it was recorded');

    expect(new URL(page.url()).searchParams.get('order')).toBe('recorded');
    await expect(events.order).toContainText('Newest recorded first');
    const ids = await events.ids();
    expect(ids, 'newest recorded first').toEqual([...ids].sort((a, b) => b - a));
    await events.sortBy('Sort by when it happened');
    expect(new URL(page.url()).search).toBe('');
  });

  test('understands the words people type, key by key', async ({ page }) => {
    const events = new EventsPage(page);
    await events.goto();
    // The known values are offered.
    await expect(page.locator('datalist#known-states option[value="stable"]')).toHaveCount(1);
    await expect(page.locator('datalist#known-releases option[value="34"]')).not.toHaveCount(0);

    await events.distSelect.focus();
    await events.distSelect.selectOption('fedora');
    await events.releaseInput.click();
    await page.keyboard.type('F34');
    await events.stateInput.click();
    await page.keyboard.type('Stable');
    await Promise.all([page.waitForURL('**/events?dist=fedora&release=34&state=stable'), page.keyboard.press('Enter')]);
    await events.settle();

    const rows = await events.shownRows();
    expect(rows.map((r) => `${r.when} ${r.release} ${r.change}`)).toEqual([
      '2022-06-07 Fedora 34 left stable',
      '2021-04-27 Fedora 34 entered stable',
    ]);
    await expect(events.releaseInput).toHaveValue('34');
    await expect(events.stateInput).toHaveValue('stable');
    await expect(page).toHaveTitle('Event log: Fedora 34, stable · releasetracker');
  });

  test('says which values exist when one matches nothing', async ({ page }) => {
    const events = new EventsPage(page);
    await events.goto({ dist: 'fedora', state: 'frozen' });
    const notice = page.locator('p.unknown[data-key="state"]');
    await expect(notice).toContainText('No state is called “frozen”.');
    await expect(notice).toContainText('stable');
    await expect(notice).toContainText('eol');
    await expect(page.locator('p.empty')).toHaveText('No events.');
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
