import { expect, test } from './fixtures';
import { MatrixPage } from './pages/matrix-page';
import { ReleasePage } from './pages/release-page';

test.describe('release page', () => {
  test('shows the current state, the history by state and the events', async ({ page }) => {
    const release = new ReleasePage(page);
    await release.goto('fedora', '34');

    await expect(release.heading).toHaveText('Fedora 34');
    await expect(release.current).toHaveText('In eol (since 2022-06-07).');
    await expect(release.histories).toHaveCount(2);
    expect(await release.stays('stable')).toEqual([['2021-04-27', '2022-06-07']]);
    expect(await release.stays('eol')).toEqual([['2022-06-07', '—']]);
    expect(await release.eventChanges()).toEqual(['entered eol', 'left stable', 'entered stable']);
    await expect(release.breadcrumb.getByRole('link', { name: 'Fedora' })).toHaveAttribute('href', '/dists/fedora');
  });

  test('shows the release as it was on a past day', async ({ page }) => {
    const release = new ReleasePage(page);
    await release.goto('fedora', '34', '2021-06-01');

    await expect(release.page.locator('p.as-of')).toContainText('As of 2021-06-01');
    await expect(release.current).toHaveText('In stable (since 2021-04-27).');
    expect(await release.stays('stable')).toEqual([['2021-04-27', '—']]);
    await expect(release.history('eol')).toHaveCount(0);
    expect(await release.eventChanges()).toEqual(['entered stable']);
  });

  test('is linked from the matrix', async ({ page }) => {
    const matrix = new MatrixPage(page);
    await matrix.goto({ dist: 'fedora' });

    // Fedora 34 is at its end of life: folded until opened.
    await matrix.section('fedora').locator('details.ended summary').click();
    await matrix.section('fedora').locator('tr[data-release="34"]').getByRole('link', { name: '34', exact: true }).click();
    await page.waitForURL('**/dists/fedora/releases/34');

    const release = new ReleasePage(page);
    await release.settle();
    await expect(release.heading).toHaveText('Fedora 34');
  });

  test('links each stay to the event that began it', async ({ page }) => {
    const release = new ReleasePage(page);
    await release.goto('fedora', '34');

    const event = await release.openEntered('stable', '2021-04-27');

    await expect(event.heading).toHaveText('Fedora 34 entered stable');
    await expect(event.value('When')).toHaveText('2021-04-27');
  });
});
