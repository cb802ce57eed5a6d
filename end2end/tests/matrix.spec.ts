import { expect, importedDists, jsonDists, jsonStates, test, whileStill } from './fixtures';
import { MatrixPage, type StatesByRelease } from './pages/matrix-page';

/** What the JSON view says for each imported dist. */
async function allJsonStates(request: Parameters<typeof jsonStates>[0], at?: string) {
  const states: Record<string, StatesByRelease> = {};
  for (const dist of importedDists) states[dist] = await jsonStates(request, dist, at);
  return states;
}

/** What the matrix shows for each imported dist. */
async function allShownStates(matrix: MatrixPage) {
  const states: Record<string, StatesByRelease> = {};
  for (const dist of importedDists) states[dist] = await matrix.states(dist);
  return states;
}

test.describe('state matrix', () => {
  test('shows a section for every dist', async ({ page }) => {
    const matrix = new MatrixPage(page);
    const { truth, read } = await whileStill(
      () => jsonDists(page.request),
      async () => {
        await matrix.goto();
        return matrix.dists();
      },
    );

    await expect(matrix.heading).toHaveText('Release states');
    expect(truth).toEqual(expect.arrayContaining([...importedDists]));
    expect(read).toEqual(truth);
    for (const dist of importedDists) {
      await expect(matrix.section(dist).getByRole('heading', { level: 2 }).getByRole('link')).toHaveAttribute(
        'href',
        `/dists/${dist}`,
      );
    }
  });

  for (const at of [undefined, '2021-03-01', '2010-06-30']) {
    test(`shows the states of the JSON view ${at ? `as of ${at}` : 'now'}`, async ({ page }) => {
      const matrix = new MatrixPage(page);
      const { truth, read } = await whileStill(
        () => allJsonStates(page.request, at),
        async () => {
          await matrix.goto({ at });
          return allShownStates(matrix);
        },
      );

      for (const dist of importedDists) {
        expect(Object.keys(truth[dist]).length, `${dist} has releases in some state`).toBeGreaterThan(0);
        expect(read[dist], `the ${dist} matrix ${at ? `as of ${at}` : 'now'}`).toEqual(truth[dist]);
        // Each "in" cell says since when.
        await expect(matrix.section(dist).locator('td[data-in="true"]:not(:has(time))')).toHaveCount(0);
      }
    });
  }

  test('lists the releases newest first', async ({ page }) => {
    const matrix = new MatrixPage(page);
    await matrix.goto();

    for (const dist of ['fedora', 'ubuntu']) {
      // The current releases first, then (folded) those at their end; each
      // table newest first, Rawhide ("0") on top.
      const tables = await matrix.section(dist).locator('table').evaluateAll((ts) =>
        ts.map((t) => Array.from(t.querySelectorAll('tbody tr[data-release]')).map((r) => r.getAttribute('data-release') ?? '')),
      );
      expect(tables.length, `${dist}: current and ended releases`).toBe(2);
      expect(tables.flat().length).toBeGreaterThan(10);
      for (const releases of tables) {
        const numbered = releases[0] === '0' ? releases.slice(1) : releases;
        const versions = numbered.map((r) => Number.parseFloat(r));
        expect(versions.every((v) => !Number.isNaN(v)), `${dist} releases are numbers`).toBe(true);
        expect(versions, `${dist} releases`).toEqual([...versions].sort((a, b) => b - a));
      }
    }
  });

  test('a dist opens with what is where now; states in lifecycle order; ended releases folded, with a legend', async ({ page }) => {
    const matrix = new MatrixPage(page);
    await matrix.goto({ dist: 'fedora' });
    const section = matrix.section('fedora');
    await expect(section.locator('p.summary')).toContainText(/Now: .*stable [0-9]/);
    await expect(section.locator('p.summary')).toContainText('Last change:');
    const headers = await section.locator('table').first().locator('thead th').allTextContents();
    expect(headers.indexOf('stable')).toBeLessThan(headers.indexOf('eol'));
    await expect(section.locator('p.legend')).toContainText('end of life');
    const folded = section.locator('details.ended');
    await expect(folded.locator('summary')).toHaveText(/^Show \d+ releases at their end of life/);
    await expect(folded.locator('tbody tr').first()).toBeHidden();
    // Opened with the keyboard, as people do.
    await folded.locator('summary').focus();
    await page.keyboard.press('Enter');
    await expect(folded.locator('tbody tr').first()).toBeVisible();
    // Ubuntu's releases carry their codename beside the version.
    await matrix.goto({ dist: 'ubuntu' });
    await expect(matrix.section('ubuntu').locator('tr[data-release="24.04"] .codename')).toHaveText(/Noble/);
  });

  test('time travel survives the next click; the footer follows the dist and the date', async ({ page }) => {
    const matrix = new MatrixPage(page);
    await matrix.goto({ dist: 'debian', at: '2021-03-01' });
    const footer = page.locator('footer.site-footer');
    await expect(footer.getByRole('link', { name: 'debian states by release' })).toHaveAttribute(
      'href',
      '/api/v1/views/debian/states-by-release?at=2021-03-01',
    );
    const release = matrix.section('debian').locator('tbody tr[data-release] th a').first();
    await expect(release).toHaveAttribute('href', /\?at=2021-03-01$/);
    await release.click();
    await expect(page.locator('p.as-of')).toContainText('2021-03-01');
    await page.locator('p.breadcrumb a').click();
    await expect(page).toHaveURL(/\/dists\/debian\?at=2021-03-01$/);
    await matrix.goto({ dist: 'fedora' });
    await expect(footer.getByRole('link', { name: 'fedora releases by state' })).toHaveAttribute(
      'href',
      '/api/v1/views/fedora/releases-by-state',
    );
  });

  test('a dist page shows only that dist', async ({ page }) => {
    const matrix = new MatrixPage(page);
    await matrix.goto({ dist: 'fedora' });

    await expect(matrix.heading).toHaveText('Fedora release states');
    expect(await matrix.dists()).toEqual(['fedora']);
  });

  test('says which day it shows, and leads back to now', async ({ page }) => {
    const matrix = new MatrixPage(page);
    await matrix.goto({ at: '2021-03-01' });

    await expect(matrix.banner).toContainText('As of 2021-03-01');
    await expect(matrix.banner.locator('strong')).toHaveText('2021-03-01');
    await expect(matrix.dateInput).toHaveValue('2021-03-01');

    await matrix.goBackToNow();

    expect(new URL(page.url()).pathname).toBe('/');
    expect(new URL(page.url()).search).toBe('');
    await expect(matrix.banner).toHaveCount(0);
    await expect(matrix.heading).toHaveText('Release states');
    await expect(matrix.dateInput).toHaveValue('');
  });

  test('date picker shows the chosen day as soon as it is picked (the island hydrated)', async ({ page }) => {
    const matrix = new MatrixPage(page);
    await matrix.goto();
    const now = await matrix.states('fedora');

    // No click on Show: only the hydrated island submits on change. Until the
    // wasm has run, filling the field does nothing, hence the retries.
    await expect(async () => {
      await matrix.chooseDate('2021-03-01');
      await page.waitForURL((url) => url.searchParams.get('at') === '2021-03-01', { timeout: 2_000 });
    }, matrix.problems.diagnostics()).toPass({ timeout: 20_000 });
    await matrix.settle();

    expect(new URL(page.url()).pathname).toBe('/');
    await expect(matrix.banner).toContainText('As of 2021-03-01');
    const then = await matrix.states('fedora');
    expect(then).toEqual(await jsonStates(page.request, 'fedora', '2021-03-01'));
    expect(then).not.toEqual(now);
    expect(then['34'], 'Fedora 34 was not out yet').toBeUndefined();
    expect(then['33']).toEqual(['stable']);
  });

  test('typing a date key by key does not leave the page; Enter shows it', async ({ page }) => {
    const matrix = new MatrixPage(page);
    await matrix.goto();
    const start = page.url();

    // As a keyboard user types it (en-US: month, day, year), each segment
    // a change of the field's value: 0002-03-01, 0020-03-01, ... on the way.
    await matrix.dateInput.focus();
    await page.keyboard.type('03012021', { delay: 60 });
    await page.waitForTimeout(500);
    expect(page.url(), 'nothing was submitted while typing').toBe(start);
    await expect(matrix.dateInput).toBeFocused();
    await expect(matrix.dateInput).toHaveValue('2021-03-01');

    await Promise.all([page.waitForURL((url) => url.searchParams.get('at') === '2021-03-01'), page.keyboard.press('Enter')]);
    await matrix.settle();
    await expect(matrix.banner).toContainText('As of 2021-03-01');
  });

  test('an implausible year is refused with a readable message', async ({ page }) => {
    const matrix = new MatrixPage(page);
    await matrix.goto({ at: '0002-03-01' }, 400);
    await expect(matrix.main).toContainText('Could not read the date');
    await expect(matrix.main).toContainText('between 1900 and 2199');
  });

  test('a day before the first event says so instead of "no events yet"', async ({ page }) => {
    const matrix = new MatrixPage(page);
    await matrix.goto({ at: '1990-01-01' });
    // Debian's history starts on 1993-08-16; another spec may record an
    // event in 1991 (links.spec.ts), which then starts the record.
    const said = matrix.main.getByText(/^Nothing was recorded before \d{4}-\d{2}-\d{2}\.$/);
    await expect(said).toBeVisible();
    const day = ((await said.textContent()) ?? '').slice(-11, -1);
    expect(day > '1990-01-01' && day <= '1993-08-16', day).toBe(true);
    await expect(matrix.main).not.toContainText('No events yet');
  });

  test.describe('without JavaScript', () => {
    test.use({ javaScriptEnabled: false });

    test('date picker works with the Show button', async ({ page }) => {
      const matrix = new MatrixPage(page);
      await matrix.goto({ dist: 'fedora' });

      await matrix.chooseDate('2010-06-30');
      await matrix.show('2010-06-30');

      expect(new URL(page.url()).pathname).toBe('/dists/fedora');
      await expect(matrix.banner).toContainText('As of 2010-06-30');
      const shown = await matrix.states('fedora');
      expect(shown).toEqual(await jsonStates(page.request, 'fedora', '2010-06-30'));
      expect(shown['13']).toEqual(['stable']);
    });
  });
});
