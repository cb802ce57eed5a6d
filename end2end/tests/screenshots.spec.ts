import type { Page } from '@playwright/test';
import { expect, phone, test } from './fixtures';
import type { BasePage } from './pages/base-page';
import { CalendarPage } from './pages/calendar-page';
import { EventPage } from './pages/event-page';
import { EventsPage } from './pages/events-page';
import { MatrixPage } from './pages/matrix-page';
import { NotFoundPage } from './pages/not-found-page';
import { ReleasePage } from './pages/release-page';

// Pictures of every page for a person to look at, in end2end/screenshots/
// (gitignored). They assert nothing about the looks, only that each page
// rendered and had no errors (the fixture checks that).

/** Opens one page and returns its page object. */
type Opener = (page: Page) => Promise<BasePage>;

const pages: Record<string, Opener> = {
  async matrix(page) {
    const view = new MatrixPage(page);
    await view.goto();
    return view;
  },
  async 'matrix-fedora-2021-03-01'(page) {
    const view = new MatrixPage(page);
    await view.goto({ dist: 'fedora', at: '2021-03-01' });
    return view;
  },
  async 'calendar-month'(page) {
    const view = new CalendarPage(page);
    await view.goto({ year: 2021, month: 4, dist: 'fedora' });
    return view;
  },
  async 'calendar-year'(page) {
    const view = new CalendarPage(page);
    await view.goto({ year: 2021, view: 'year', dist: 'fedora' });
    return view;
  },
  async release(page) {
    const view = new ReleasePage(page);
    await view.goto('fedora', '34');
    return view;
  },
  async events(page) {
    const view = new EventsPage(page);
    await view.goto();
    return view;
  },
  async event(page) {
    const log = new EventsPage(page);
    await log.goto({ dist: 'fedora', release: '34', state: 'stable' });
    const entered = (await log.shownRows()).find((row) => row.change === 'entered stable');
    expect(entered, 'the event "Fedora 34 entered stable"').toBeDefined();
    const view = new EventPage(page);
    await view.goto(entered!.id);
    return view;
  },
  async 'not-found'(page) {
    const view = new NotFoundPage(page);
    await view.goto('/dists/nosuch');
    return view;
  },
};

test.describe('screenshots', () => {
  for (const [name, open] of Object.entries(pages)) {
    test(`desktop: ${name}`, async ({ page }) => {
      const view = await open(page);
      await expect(view.heading).toBeVisible();
      await view.screenshot(`desktop-${name}`);
    });
  }

  test.describe('phone', () => {
    test.use(phone);

    for (const [name, open] of Object.entries(pages)) {
      test(`phone: ${name}`, async ({ page }) => {
        const view = await open(page);
        await expect(view.heading).toBeVisible();
        // Nothing pushes the page sideways: wide tables scroll in their own
        // (focusable) region or are stacked.
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow, 'the page scrolls sideways at phone width').toBeLessThanOrEqual(0);
        await view.screenshot(`phone-${name}`);
      });
    }
  });
});
