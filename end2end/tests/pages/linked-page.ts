import { expect, type APIRequestContext, type Locator, type Page } from '@playwright/test';
import { BasePage } from './base-page';

/**
 * Any page of the site, seen as a set of links: follow one by clicking, and
 * check that every `a[href]` on it answers. For the specs about URLs
 * (names with `/ ? # % &`, spaces, non-ASCII) rather than about one page.
 */
export class LinkedPage extends BasePage {
  constructor(page: Page) {
    super(page);
  }

  /** Clicks `link` and waits until its `href` has loaded. */
  async click(link: Locator): Promise<void> {
    await this.follow(link);
  }

  /** The link in `main` whose text is `name`. */
  link(name: string): Locator {
    return this.main.getByRole('link', { name, exact: true }).first();
  }

  /** The `href` of every link of the page, resolved against its URL, once each. */
  async hrefs(): Promise<string[]> {
    const hrefs = await this.page
      .locator('a[href]')
      .evaluateAll((links) => links.map((a) => (a as HTMLAnchorElement).href));
    return [...new Set(hrefs.map((h) => h.split('#')[0]))];
  }

  /**
   * Fetches every link of the page that stays on this site and expects
   * 200; answers the links checked. A link encoded twice (or not at all)
   * lands on a 404 or a 422 here.
   */
  async expectEveryLinkAnswers(request: APIRequestContext): Promise<string[]> {
    const origin = new URL(this.page.url()).origin;
    const hrefs = (await this.hrefs()).filter((h) => h.startsWith(origin));
    for (const href of hrefs) {
      // Redirects are followed: `Sign in` goes through the OpenID provider.
      const res = await request.get(href);
      expect(res.status(), `GET ${href} (linked from ${this.page.url()})`).toBe(200);
    }
    return hrefs;
  }

  /** The `href` of the links in `main` whose URL contains `part`. */
  async hrefsContaining(part: string): Promise<string[]> {
    return (await this.hrefs()).filter((h) => h.includes(part));
  }
}
