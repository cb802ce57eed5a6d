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
