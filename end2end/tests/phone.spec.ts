import { expect, phone, test } from './fixtures';
import type { BasePage } from './pages/base-page';
import { CalendarPage } from './pages/calendar-page';
import { MatrixPage } from './pages/matrix-page';

async function expectNoHorizontalOverflow(view: BasePage): Promise<void> {
  const { overflow, viewport, offenders } = await view.horizontalOverflow();
  expect(viewport).toBe(390);
  expect(offenders, 'elements wider than the screen (outside scrolling boxes)').toEqual([]);
  expect(overflow, 'the page scrolls sideways by this many pixels').toBeLessThanOrEqual(0);
}

test.describe('on a phone', () => {
  test.use(phone);

  test('the matrix fits the screen width', async ({ page }) => {
    const matrix = new MatrixPage(page);
    await matrix.goto();

    await expect(matrix.section('fedora')).toBeVisible();
    await expectNoHorizontalOverflow(matrix);
  });

  test('the matrix is a list of releases, each with the states it is in, nothing scrolled away', async ({ page }) => {
    const matrix = new MatrixPage(page);
    await matrix.goto({ dist: 'fedora' });
    const row = matrix.section('fedora').locator('tr[data-release="43"]');
    const stable = row.locator('td[data-state="stable"][data-in="true"]');
    await expect(stable).toBeVisible();
    await expect(stable).toContainText(/in stable since \d{4}-\d{2}-\d{2}/);
    // The cell lies within the screen, not in a scroller to the right.
    const box = await stable.boundingBox();
    expect(box!.x + box!.width).toBeLessThanOrEqual(390);
    await expect(row.locator('td[data-in="false"]').first()).toBeHidden();
    const region = matrix.section('fedora').locator('.table-scroll').first();
    expect(await region.evaluate((el) => el.scrollWidth - el.clientWidth)).toBeLessThanOrEqual(0);
  });

  test('the month calendar fits the screen width', async ({ page }) => {
    const calendar = new CalendarPage(page);
    await calendar.goto({ year: 2021, month: 4, dist: 'fedora' });

    await expect(calendar.monthTable).toBeVisible();
    await expectNoHorizontalOverflow(calendar);
  });

  test('the year calendar fits the screen width', async ({ page }) => {
    const calendar = new CalendarPage(page);
    await calendar.goto({ year: 2021, view: 'year', dist: 'fedora' });

    await expect(calendar.yearChart).toBeVisible();
    await expectNoHorizontalOverflow(calendar);
  });
});
