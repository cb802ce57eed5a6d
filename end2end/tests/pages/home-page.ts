import { expect, type Locator, type Page } from '@playwright/test';

/** The home page (`/`): server-rendered, then hydrated by the wasm bundle. */
export class HomePage {
  readonly heading: Locator;
  /** Counts clicks, which only works once the wasm has hydrated the page. */
  readonly hydrationCheck: Locator;

  /** Console messages of type `error`, collected from construction on. */
  readonly consoleErrors: string[] = [];
  /** Uncaught exceptions in the page (`pageerror`). */
  readonly pageErrors: string[] = [];
  /** Responses with a status of 400 or above, e.g. a missing `/pkg/*` file. */
  readonly failedResponses: string[] = [];

  constructor(readonly page: Page) {
    this.heading = page.getByRole('heading', { level: 1 });
    this.hydrationCheck = page.locator('#hydration-check');

    page.on('console', (msg) => {
      if (msg.type() === 'error') {
        const { url, lineNumber } = msg.location();
        this.consoleErrors.push(url ? `${msg.text()} (${url}:${lineNumber})` : msg.text());
      }
    });
    page.on('pageerror', (err) => this.pageErrors.push(`${err.name}: ${err.message}`));
    page.on('response', (res) => {
      if (res.status() >= 400) this.failedResponses.push(`${res.status()} ${res.request().method()} ${res.url()}`);
    });
    page.on('requestfailed', (req) =>
      this.failedResponses.push(`failed ${req.method()} ${req.url()}: ${req.failure()?.errorText}`),
    );
  }

  async goto(): Promise<void> {
    const response = await this.page.goto('/');
    expect(response?.status(), 'status of GET /').toBe(200);
  }

  /**
   * Clicks the counter until a click registers, i.e. until the page has
   * hydrated: before that the server-rendered button has no handler and a
   * click does nothing. Each attempt clicks once, so the count ends at 1.
   */
  async clickWhenHydrated(): Promise<void> {
    await this.page.waitForLoadState('networkidle');
    try {
      await expect(async () => {
        await this.hydrationCheck.click();
        await expect(this.hydrationCheck).not.toHaveText('Clicked 0 times', { timeout: 1_000 });
      }).toPass({ timeout: 20_000 });
    } catch (err) {
      throw new Error(`the counter never counted a click: the page did not hydrate\n${this.diagnostics()}`, {
        cause: err,
      });
    }
  }

  /** What went wrong in the page so far, for failure messages. */
  diagnostics(): string {
    const list = (title: string, items: string[]) =>
      `${title}: ${items.length === 0 ? 'none' : items.map((item) => `\n  ${item}`).join('')}`;
    return [
      list('HTTP errors', this.failedResponses),
      list('page errors', this.pageErrors),
      list('console errors', this.consoleErrors),
    ].join('\n');
  }

  async screenshot(file: string): Promise<void> {
    await this.page.screenshot({ path: file, fullPage: true });
  }
}
