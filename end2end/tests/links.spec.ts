import { apiToken, expect, test } from './fixtures';
import { CalendarPage } from './pages/calendar-page';
import { LinkedPage } from './pages/linked-page';
import { MatrixPage } from './pages/matrix-page';

// Names with every character that means something in a URL, a space and
// non-ASCII: each must be encoded exactly once in every link, and decoded
// exactly once by the server.
const DIST = 'odd/dist?#';
const RELEASE = '10/1 & 100%';
const STATE = 'frozen é';
// Long ago, so that no other spec's month or year sees these events.
const DAY = '1991-03-05';

test.describe('links with names that need encoding', () => {
  test.beforeAll(async ({ request }) => {
    const headers = { Authorization: `Bearer ${apiToken()}` };
    for (const [reached, at] of [
      [true, `${DAY}T00:00:00Z`],
      [false, '1991-03-07T12:00:00Z'],
    ] as const) {
      const res = await request.post('/api/v1/events', {
        headers,
        data: { dist: DIST, release: RELEASE, state: STATE, reached, at },
      });
      expect(res.status(), await res.text()).toBe(201);
    }
  });

  test('lead from the matrix to the release, its events, the calendar and the feeds, and back', async ({ page }) => {
    const checked = new Set<string>();
    const check = async (on: LinkedPage) => {
      for (const href of await on.expectEveryLinkAnswers(page.request)) checked.add(href);
    };

    // The dist's matrix, reached from the matrix of every dist.
    const matrix = new MatrixPage(page);
    await matrix.goto();
    const site = new LinkedPage(page);
    await site.click(matrix.section(DIST).getByRole('heading', { level: 2 }).getByRole('link'));
    await expect(site.heading).toHaveText(`Odd/dist?# release states`);
    expect(new URL(page.url()).pathname).toBe('/dists/odd%2Fdist%3F%23');
    await check(site);

    // The release page.
    await site.click(matrix.section(DIST).getByRole('link', { name: RELEASE, exact: true }));
    await expect(site.heading).toHaveText(`Odd/dist?# ${RELEASE}`);
    expect(new URL(page.url()).pathname).toBe('/dists/odd%2Fdist%3F%23/releases/10%2F1%20%26%20100%25');
    await check(site);

    // An event of it, and back to the release by its link.
    await site.click(page.locator(`section.state-history[data-state="${STATE}"] tbody a`).first());
    await expect(site.heading).toHaveText(`Odd/dist?# ${RELEASE} entered ${STATE}`);
    await check(site);
    await site.click(site.link(`Odd/dist?# ${RELEASE}`));
    await expect(site.heading).toHaveText(`Odd/dist?# ${RELEASE}`);

    // The event log filtered by the dist, with its links.
    const log = `/events?dist=${encodeURIComponent(DIST)}&release=${encodeURIComponent(RELEASE)}`;
    await page.goto(log);
    await expect(page.locator('table.events tbody tr')).toHaveCount(2);
    await check(site);

    // The calendar of the dist: the month of the events, then an event from it.
    await site.click(site.siteNav.getByRole('link', { name: 'Calendar' }));
    const calendar = new CalendarPage(page);
    await calendar.showDist(DIST);
    await check(site);
    await calendar.goto({ year: 1991, month: 3, dist: DIST });
    await check(site);
    const event = await calendar.openEvent(DAY, `Odd/dist?# ${RELEASE} entered ${STATE}`);
    await expect(event.heading).toHaveText(`Odd/dist?# ${RELEASE} entered ${STATE}`);

    // The feeds and the calendar export the pages link to.
    await matrix.goto({ dist: DIST });
    const [feed] = await site.hrefsContaining('/feed.atom');
    const distFeed = (await site.hrefsContaining('/dists/odd%2Fdist%3F%23/feed.atom'))[0];
    expect(distFeed, 'the dist page links its feed').toBeTruthy();
    expect(feed).toBeTruthy();
    const atom = await (await page.request.get(distFeed)).text();
    expect(atom.replaceAll('&amp;', '&')).toContain(`Odd/dist?# ${RELEASE} entered ${STATE}`);
    // Every link in the feed answers too (the entries' pages, its self link).
    const feedLinks = [...atom.matchAll(/<link[^>]*href="([^"]+)"/g)].map((m) => m[1].replaceAll('&amp;', '&'));
    expect(feedLinks.length).toBeGreaterThan(2);
    for (const href of feedLinks) {
      const local = new URL(new URL(href).pathname + new URL(href).search, page.url()).href;
      const res = await page.request.get(local);
      expect(res.status(), `GET ${local} (linked from the feed)`).toBe(200);
    }
    await calendar.goto({ year: 1991, month: 3, dist: DIST });
    const [ics] = await site.hrefsContaining('/calendar.ics');
    expect(ics).toContain('dist=odd%2Fdist%3F%23');
    const ical = await (await page.request.get(ics)).text();
    expect(ical).toContain('BEGIN:VEVENT');

    // Back to the matrix by the header.
    await site.click(site.siteNav.getByRole('link', { name: 'State matrix' }));
    await expect(matrix.section(DIST)).toBeVisible();
    expect(checked.size).toBeGreaterThan(10);
  });
});
