import { expect, test, todayUtc } from './fixtures';
import { CalendarPage, monthNames } from './pages/calendar-page';

const april2021 = { year: 2021, month: 4, dist: 'fedora' } as const;

/** The month after (or before) `year`/`month`. */
function step(year: number, month: number, by: 1 | -1): [number, number] {
  const index = year * 12 + (month - 1) + by;
  return [Math.floor(index / 12), (index % 12) + 1];
}

test.describe('calendar', () => {
  test('steps through the months, across the turn of the year both ways', async ({ page }) => {
    const calendar = new CalendarPage(page);
    await calendar.goto(april2021);
    await calendar.expectMonth(2021, 4);

    // April 2021 → May 2021 → back to December 2020 → forward to January 2021.
    const moves: (1 | -1)[] = [1, -1, -1, -1, -1, -1, 1];
    let [year, month] = [2021, 4];
    for (const by of moves) {
      if (by === 1) await calendar.goToNextMonth();
      else await calendar.goToPreviousMonth();
      [year, month] = step(year, month, by);
      await calendar.expectMonth(year, month);
      expect(new URL(page.url()).searchParams.get('dist'), 'the dist stays chosen').toBe('fedora');
    }
    expect([year, month]).toEqual([2021, 1]);
    await expect(calendar.distSelect).toHaveValue('fedora');
  });

  test('shows an event on its day and leads to its page', async ({ page }) => {
    const calendar = new CalendarPage(page);
    await calendar.goto(april2021);

    const day = calendar.day('2021-04-27');
    await expect(day.getByRole('link', { name: 'Fedora 34 entered stable' })).toBeVisible();
    // The fedora calendar shows nothing of the other dists.
    await expect(calendar.eventLinks.filter({ hasNotText: /^Fedora / })).toHaveCount(0);

    const event = await calendar.openEvent('2021-04-27', 'Fedora 34 entered stable');

    await expect(event.heading).toHaveText('Fedora 34 entered stable');
    await expect(event.value('When')).toHaveText('2021-04-27');
    await expect(event.value('Release')).toHaveText('Fedora 34');
    await expect(event.retraction).toHaveCount(0);
  });

  test('the current month marks today', async ({ page }) => {
    const calendar = new CalendarPage(page);
    await calendar.goto(april2021);
    await expect(calendar.todayCells).toHaveCount(0);

    await calendar.goToToday();

    const today = todayUtc();
    const [year, month] = today.split('-').map(Number);
    await calendar.expectMonth(year, month);
    await expect(calendar.title).toHaveText(`${monthNames[month - 1]} ${year}`);
    await expect(calendar.todayCells).toHaveCount(1);
    await expect(calendar.todayCells).toHaveAttribute('data-date', today);
    await expect(calendar.todayCells.locator('.today-badge')).toHaveText('today');
    // Marked by its background and a word, not by a ring like focus.
    const outline = await calendar.todayCells.evaluate((td) => getComputedStyle(td).outlineStyle);
    expect(outline).toBe('none');
  });

  test('year view draws a bar for each stay that changed in the year', async ({ page }) => {
    const calendar = new CalendarPage(page);
    await calendar.goto(april2021);

    await calendar.goToYearView();

    const url = new URL(page.url());
    expect(Object.fromEntries(url.searchParams)).toEqual({ year: '2021', view: 'year', dist: 'fedora' });
    await expect(calendar.title).toHaveText('2021');
    await expect(calendar.yearChart.locator('svg')).toBeVisible();

    const bar = calendar.bars('34', 'stable');
    await expect(bar).toHaveCount(1);
    await expect(bar).toBeVisible();
    await expect(bar.locator('title')).toContainText('Fedora 34 stable: 2021-04-27');
    const box = await bar.boundingBox();
    const chart = await calendar.yearChart.locator('svg').boundingBox();
    expect(box && chart, 'bar and chart are laid out').toBeTruthy();
    // Released on April 27th: the bar starts about a third into the year.
    expect(box!.width).toBeGreaterThan(0);
    expect(box!.x).toBeGreaterThan(chart!.x + chart!.width * 0.3);

    // Other stays that began or ended in 2021.
    for (const [release, state] of [['35', 'stable'], ['33', 'stable'], ['33', 'eol'], ['32', 'eol']]) {
      await expect(calendar.bars(release, state), `Fedora ${release} ${state}`).toHaveCount(1);
    }
    // Fedora 31 was eol all year: folded away.
    await expect(calendar.chartRow('31', 'eol')).toHaveCount(0);
  });

  test('year view folds the stays that lasted the whole year', async ({ page }) => {
    const calendar = new CalendarPage(page);
    await calendar.goto({ year: 2021, view: 'year', dist: 'fedora' });

    await expect(calendar.unchanged).not.toHaveAttribute('open');
    await expect(calendar.unchanged.locator(':scope > summary')).toHaveText(/^\d+ more stays that lasted the whole year$/);
    const folded = calendar.bars('31', 'eol', calendar.unchanged);
    await expect(folded).toBeHidden();

    await calendar.unchanged.locator(':scope > summary').click();

    await expect(folded).toBeVisible();
    await expect(calendar.chartRow('34', 'stable', calendar.unchanged)).toHaveCount(0);
  });

  test('the dist filter shows the events of the chosen dist', async ({ page }) => {
    const calendar = new CalendarPage(page);
    await calendar.goto(april2021);

    await calendar.showDist('ubuntu');

    await calendar.expectMonth(2021, 4);
    await expect(calendar.distSelect).toHaveValue('ubuntu');
    await expect(calendar.day('2021-04-22').getByRole('link', { name: 'Ubuntu 21.04: development → stable' })).toBeVisible();
    await expect(calendar.eventLinks.filter({ hasNotText: /^Ubuntu / })).toHaveCount(0);

    await calendar.showDist('');

    await calendar.expectMonth(2021, 4);
    await expect(calendar.day('2021-04-22').getByRole('link', { name: 'Ubuntu 21.04: development → stable' })).toBeVisible();
    await expect(calendar.day('2021-04-27').getByRole('link', { name: 'Fedora 34 entered stable' })).toBeVisible();
  });

  test('the lifecycle chart scrolls sideways at phone width, by keyboard too, with its labels kept readable', async ({ page }) => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto('/calendar?view=lifecycle&dist=fedora');
    const region = page.getByRole('region', { name: /Lifecycle chart/ });
    await expect(region).toBeVisible();
    const size = await region.evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth }));
    expect(size.scroll, 'the chart is wider than the phone').toBeGreaterThan(size.client);
    // Labels keep their size instead of shrinking with the chart.
    const label = page.locator('.lifecycle-chart .row-label').first();
    const height = await label.evaluate((el) => el.getBoundingClientRect().height);
    expect(height).toBeGreaterThanOrEqual(11);
    // Planned stretches are there, apart from facts.
    await expect(page.locator('.lifecycle-chart rect[data-planned="true"]').first()).toBeAttached();
    await expect(page.locator('.lifecycle-chart rect[data-planned="false"]').first()).toBeAttached();
    // The keyboard scrolls the focused region.
    await region.focus();
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => region.evaluate((el) => el.scrollLeft)).toBeGreaterThan(0);
    // Each release name leads to its page.
    await page.getByRole('link', { name: 'Fedora 43' }).first().click();
    await expect(page).toHaveURL(/\/dists\/fedora\/releases\/43$/);
  });
  test('jumps to a month by keyboard, and names it in the title', async ({ page }) => {
    const calendar = new CalendarPage(page);
    await calendar.goto({ year: 2026, month: 12, dist: 'fedora' });
    await calendar.monthSelect.focus();
    await page.keyboard.type('Apr');
    await calendar.yearInput.focus();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.type('2021');
    await Promise.all([page.waitForURL(/month=4/), page.keyboard.press('Enter')]);
    await calendar.settle();

    await calendar.expectMonth(2021, 4);
    await expect(page).toHaveTitle('Calendar: April 2021, Fedora · releasetracker');
    await expect(calendar.monthSelect).toHaveValue('4');
    await expect(calendar.yearInput).toHaveValue('2021');
  });

  test('an empty month points to the nearest events, and the jumps lead there', async ({ page }) => {
    const calendar = new CalendarPage(page);
    await calendar.goto({ year: 2021, month: 8, dist: 'fedora' });
    await expect(calendar.eventLinks).toHaveCount(0);
    await expect(page.locator('p.nearest')).toHaveText(
      'Nothing happened in August 2021. The nearest events: May 2021 (before) and November 2021 (after).',
    );

    await calendar.jump('Next event (2021-11-02) ⇥');
    await calendar.expectMonth(2021, 11);
    await expect(calendar.day('2021-11-02').getByRole('link', { name: 'Fedora 35 entered stable' })).toBeVisible();

    await calendar.jump('⇤ Previous event (2021-05-25)');
    await calendar.expectMonth(2021, 5);
  });

  test('a move between states on one day is one entry, with its dist chip', async ({ page }) => {
    const calendar = new CalendarPage(page);
    await calendar.goto({ year: 2022, month: 6 });
    const entry = calendar.day('2022-06-07').locator('li', { hasText: 'Fedora 34: stable → eol' });
    await expect(entry).toHaveCount(1);
    await expect(entry.locator('.chip')).toHaveCount(1);
    await expect(page.locator('.legend .chip')).not.toHaveCount(0);
  });

  test('at phone width the month is an agenda of the days with entries', async ({ page }) => {
    await page.setViewportSize({ width: 390, height: 844 });
    const calendar = new CalendarPage(page);
    await calendar.goto(april2021);
    const day = calendar.day('2021-04-27');
    await expect(day).toBeVisible();
    await expect(day.getByRole('link', { name: 'Fedora 34 entered stable' })).toBeVisible();
    // Days without entries are left out; nothing is wider than the phone.
    await expect(calendar.day('2021-04-02')).toBeHidden();
    const box = await day.boundingBox();
    expect(box!.x + box!.width).toBeLessThanOrEqual(390);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  });

  test('the year chart lists its dates for touch and screen readers', async ({ page }) => {
    const calendar = new CalendarPage(page);
    await calendar.goto({ year: 2021, view: 'year', dist: 'fedora' });
    const data = page.locator('details.chart-data').first();
    await data.locator('summary').focus();
    await page.keyboard.press('Enter');
    await expect(data.getByText('Fedora 34 stable: 2021-04-27 → beyond 2021')).toBeVisible();
  });
});
