import { expect, test } from '@playwright/test';
import path from 'node:path';
import { HomePage } from './pages/home-page';

const screenshots = path.join(__dirname, '..', 'screenshots');

test.describe('home page', () => {
  test('renders on the server, hydrates, and logs no errors', async ({ page }) => {
    const home = new HomePage(page);
    await home.goto();

    await expect(home.heading).toHaveText('releasetracker');
    await expect(home.hydrationCheck).toHaveText('Clicked 0 times');

    await home.clickWhenHydrated();
    await expect(home.hydrationCheck).toHaveText('Clicked 1 times');

    await home.screenshot(path.join(screenshots, 'home.png'));

    expect(home.failedResponses, 'HTTP errors while loading the page').toEqual([]);
    expect(home.pageErrors, 'uncaught errors in the page').toEqual([]);
    expect(home.consoleErrors, 'console errors').toEqual([]);
  });

  test.describe('without JavaScript', () => {
    test.use({ javaScriptEnabled: false });

    test('is still rendered by the server', async ({ page }) => {
      const home = new HomePage(page);
      await home.goto();

      await expect(home.heading).toHaveText('releasetracker');
      await expect(home.hydrationCheck).toHaveText('Clicked 0 times');
    });
  });
});
