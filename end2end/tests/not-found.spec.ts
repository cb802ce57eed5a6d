import { expect, test } from './fixtures';
import { NotFoundPage } from './pages/not-found-page';

test.describe('unknown pages', () => {
  test('an unknown dist is a 404 that leads back to the matrix', async ({ page }) => {
    const notFound = new NotFoundPage(page);
    await notFound.goto('/dists/nosuch');

    await expect(notFound.heading).toHaveText('Not found');
    await expect(notFound.main).toContainText('nosuch');

    await notFound.goBack();

    await expect(notFound.heading).toHaveText('Release states');
  });

  for (const url of ['/no/such/page', '/dists/fedora/releases/999', '/events/999999']) {
    test(`${url} is a 404`, async ({ page }) => {
      const notFound = new NotFoundPage(page);
      await notFound.goto(url);

      await expect(notFound.heading).toHaveText('Not found');
    });
  }
});
