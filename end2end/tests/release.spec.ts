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
    expect(await release.eventChanges()).toEqual(['stable → eol', 'entered stable']);
    await expect(release.breadcrumb.getByRole('link', { name: 'Fedora' })).toHaveAttribute('href', '/dists/fedora');
    await expect(release.lifecycle).toHaveText('Released 2021-04-27 · End of life 2022-06-07 · supported 13.4 months');
    // Its own table names no release: the page is about one.
    await expect(release.page.locator('table.events th', { hasText: 'Release' })).toHaveCount(0);
    // The history follows the lifecycle: stable before eol.
    expect(await release.histories.evaluateAll((s) => s.map((e) => e.getAttribute('data-state')))).toEqual([
      'stable',
      'eol',
    ]);
  });

  test('leads to the previous and next release, keeping the date shown', async ({ page }) => {
    const release = new ReleasePage(page);
    await release.goto('fedora', '34', '2021-06-01');
    await expect(release.lifecycle).toHaveText('Released 2021-04-27 · supported 1.2 months so far');
    await expect(release.neighbours.getByRole('link', { name: '← Fedora 33' })).toHaveAttribute(
      'href',
      '/dists/fedora/releases/33?at=2021-06-01',
    );
    const next = release.neighbours.getByRole('link', { name: 'Fedora 35 →' });
    await next.focus();
    await Promise.all([page.waitForURL('**/dists/fedora/releases/35?at=2021-06-01'), page.keyboard.press('Enter')]);
    await release.settle();
    await expect(release.heading).toHaveText('Fedora 35');
    await expect(release.current).toHaveText('Not started yet on 2021-06-01.');
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
