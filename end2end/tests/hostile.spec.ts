import type { APIRequestContext, Page } from '@playwright/test';
import { apiToken, expect, test } from './fixtures';
import { CalendarPage } from './pages/calendar-page';
import { EventPage } from './pages/event-page';
import { EventsPage } from './pages/events-page';
import { MatrixPage } from './pages/matrix-page';
import { ReleasePage } from './pages/release-page';

/**
 * Freeform values with markup in them are data: every page, the feed and
 * the calendar show them as text. Each payload would set `window.__pwned`
 * (or open a dialog) if it ever became markup. The events live in a dist
 * of their own, so the specs that read fedora/debian/ubuntu see nothing.
 */
const dist = 'e2e-hostile';
const payloads = {
  scriptRelease: '<script>window.__pwned=1</script>',
  imgState: '<img src=x onerror="window.__pwned=1;alert(1)">',
  svgRelease: '"><svg onload="window.__pwned=1">',
  breakoutState: "'></a></td><script>alert(document.domain)</script>",
  note: '</textarea></script><script>window.__pwned=1</script><b id="injected">bold</b>',
  link: 'https://example.org/"><script>window.__pwned=1</script>',
  property: '<img src=x onerror="window.__pwned=1">',
  reason: '<iframe srcdoc="<script>parent.__pwned=1</script>"></iframe>',
} as const;
const at = '2026-01-15T12:00:00Z';

interface Recorded {
  id: number;
  release: string;
  state: string;
}

async function record(request: APIRequestContext, release: string, state: string): Promise<Recorded> {
  const res = await request.post('/api/v1/events', {
    headers: { Authorization: `Bearer ${apiToken()}` },
    data: { dist, release, state, reached: true, at, note: payloads.note, link: payloads.link },
  });
  expect(res.status(), await res.text()).toBe(201);
  const body = await res.json();
  // Stored verbatim.
  expect(body).toMatchObject({ release, state, note: payloads.note, link: payloads.link });
  return { id: body.id as number, release, state };
}

/** Fails the test if anything on `page` runs the payloads. */
function watchForScripts(page: Page): string[] {
  const dialogs: string[] = [];
  page.on('dialog', async (dialog) => {
    dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    await dialog.dismiss();
  });
  return dialogs;
}

/** No payload ran, and no element or handler from a payload exists. */
async function expectInert(page: Page, dialogs: string[]): Promise<void> {
  expect(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned), 'a payload ran').toBeUndefined();
  expect(dialogs, 'a payload opened a dialog').toEqual([]);
  const injected = await page.evaluate(() => ({
    handlers: document.querySelectorAll('[onerror], [onload]').length,
    images: document.querySelectorAll('img[src="x"]').length,
    svgs: document.querySelectorAll('main svg[onload]').length,
    frames: document.querySelectorAll('iframe').length,
    bold: document.querySelectorAll('#injected').length,
    scripts: Array.from(document.querySelectorAll('script')).filter((s) => /__pwned|alert\(/.test(s.textContent ?? '') && !(s.textContent ?? '').trim().startsWith('{') && !(s.textContent ?? '').includes('__RESOLVED_RESOURCES')).length,
  }));
  expect(injected, 'elements injected by a payload').toEqual({ handlers: 0, images: 0, svgs: 0, frames: 0, bold: 0, scripts: 0 });
}

test.describe('hostile values', () => {
  test.describe.configure({ mode: 'serial' });

  let events: Recorded[] = [];

  test.beforeAll(async ({ request }) => {
    events = [
      await record(request, payloads.scriptRelease, payloads.imgState),
      await record(request, payloads.svgRelease, payloads.breakoutState),
      await record(request, '44', payloads.imgState),
    ];
    const props = await request.put(
      `/api/v1/dists/${encodeURIComponent(dist)}/releases/${encodeURIComponent(payloads.scriptRelease)}/properties`,
      { headers: { Authorization: `Bearer ${apiToken()}` }, data: { name: payloads.property, codename: payloads.svgRelease } },
    );
    expect(props.status(), await props.text()).toBe(200);
    const retracted = await request.post(`/api/v1/events/${events[2].id}/retract`, {
      headers: { Authorization: `Bearer ${apiToken()}` },
      data: { reason: payloads.reason },
    });
    expect(retracted.status(), await retracted.text()).toBe(201);
  });

  test('the matrix shows them as text', async ({ page }) => {
    const dialogs = watchForScripts(page);
    const matrix = new MatrixPage(page);
    await matrix.goto({ dist });
    const section = matrix.section(dist);
    await expect(section).toContainText(payloads.scriptRelease);
    await expect(section).toContainText(payloads.svgRelease);
    await expect(section).toContainText(payloads.imgState);
    await expect(section).toContainText(payloads.breakoutState);
    await expectInert(page, dialogs);
  });

  test('the release pages show them as text, properties too', async ({ page }) => {
    const dialogs = watchForScripts(page);
    const release = new ReleasePage(page);
    for (const { release: name, state } of events.slice(0, 2)) {
      await release.goto(dist, name);
      await expect(release.main).toContainText(name);
      await expect(release.main).toContainText(state);
      await expectInert(page, dialogs);
    }
    await release.goto(dist, payloads.scriptRelease);
    await expect(release.main).toContainText(payloads.property);
  });

  test('the event log and the event pages show them as text', async ({ page }) => {
    const dialogs = watchForScripts(page);
    const log = new EventsPage(page);
    await log.goto({ dist });
    await expect(log.rows).toHaveCount(3);
    await expect(log.main).toContainText(payloads.scriptRelease);
    await expect(log.main).toContainText(payloads.imgState);
    await expectInert(page, dialogs);

    const event = new EventPage(page);
    for (const { id, release, state } of events) {
      await event.goto(id);
      await expect(event.details).toContainText(release);
      await expect(event.details).toContainText(state);
      await expect(event.details).toContainText(payloads.note);
      // The link is a link to exactly the recorded URL, never a way out of
      // the attribute.
      const hrefs = await event.details.locator('a[href^="https://example.org/"]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
      for (const href of hrefs) expect(href).toBe(payloads.link);
      await expectInert(page, dialogs);
    }
    await event.goto(events[2].id);
    await expect(event.retraction).toContainText(payloads.reason);
    await expectInert(page, dialogs);
  });

  test('the calendar shows them as text, month and year', async ({ page }) => {
    const dialogs = watchForScripts(page);
    const calendar = new CalendarPage(page);
    await calendar.goto({ year: 2026, month: 1, dist });
    await expect(calendar.day('2026-01-15')).toContainText(payloads.imgState);
    await expectInert(page, dialogs);
    await calendar.goto({ year: 2026, view: 'year', dist });
    await expect(calendar.main).toContainText(payloads.scriptRelease);
    await expectInert(page, dialogs);
  });

  test('the feed is well-formed XML with the markup as text', async ({ page, request, problems }) => {
    const res = await request.get(`/dists/${dist}/feed.atom`);
    expect(res.status()).toBe(200);
    const xml = await res.text();
    // Parsed by the browser's own XML parser: no error, no element from a payload.
    const parsed = await page.evaluate((text) => {
      const doc = new DOMParser().parseFromString(text, 'application/xml');
      return {
        error: doc.getElementsByTagName('parsererror').length,
        injected: doc.querySelectorAll('script, img, svg, iframe, b').length,
        titles: Array.from(doc.getElementsByTagName('title')).map((t) => t.textContent ?? ''),
        text: doc.documentElement.textContent ?? '',
      };
    }, xml);
    expect(parsed.error, xml).toBe(0);
    expect(parsed.injected, xml).toBe(0);
    expect(parsed.titles.join('\n')).toContain(payloads.scriptRelease);
    expect(parsed.text).toContain(payloads.note);

    // Opened in the browser, it runs nothing either. (Chromium's XML
    // viewer asks for /favicon.ico, which the site does not have.)
    problems.expectStatus('/favicon.ico', 404);
    const dialogs = watchForScripts(page);
    await page.goto(`/dists/${dist}/feed.atom`);
    await expectInert(page, dialogs);
  });

  test('the calendar file keeps each value on its own line', async ({ request }) => {
    const res = await request.get(`/calendar.ics?dist=${dist}`);
    expect(res.status()).toBe(200);
    const ics = await res.text();
    // Unfolded (RFC 5545 §3.1), every line is a property of ours.
    const lines = ics.replace(/\r\n[ \t]/g, '').split('\r\n').filter((l) => l !== '');
    for (const line of lines) expect(line, 'a value broke out of its line').toMatch(/^[A-Z-]+[;:]/);
    expect(lines.some((l) => l.includes(payloads.scriptRelease.replace(/[,;]/g, (c) => `\\${c}`)))).toBe(true);
  });
});
