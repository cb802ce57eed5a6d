import { expect, type Locator, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

/** Where the tests write their screenshots (gitignored). */
export const screenshotDir = path.join(__dirname, '..', '..', 'screenshots');

/**
 * Everything that went wrong in one browser page, from its creation on:
 * console errors, uncaught exceptions and HTTP errors. One recorder per
 * Playwright `Page`, shared by all the page objects that wrap it, so that a
 * test that goes from page to page by links collects the problems of every
 * page it visited.
 */
export class PageProblems {
  private static readonly byPage = new WeakMap<Page, PageProblems>();

  /** The recorder of `page`, attached on first use. */
  static of(page: Page): PageProblems {
    let problems = PageProblems.byPage.get(page);
    if (!problems) {
      problems = new PageProblems(page);
      PageProblems.byPage.set(page, problems);
    }
    return problems;
  }

  /** Console messages of type `error`. */
  readonly consoleErrors: string[] = [];
  /** Uncaught exceptions in the page (`pageerror`). */
  readonly pageErrors: string[] = [];
  /** Responses with a status of 400 or above, and requests that failed. */
  readonly failedResponses: string[] = [];
  /** Every document the page loaded, for failure messages. */
  readonly visited: string[] = [];

  /** Error statuses a test asked for, by path and query: `/dists/nosuch` → 404. */
  private readonly expected = new Map<string, number>();
  /** Set when the test runs without JavaScript (see `scriptsDisabled`). */
  private noScripts = false;

  private constructor(page: Page) {
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      const { url, lineNumber } = msg.location();
      if (url && this.isExpected(url) && /status of \d{3}/.test(msg.text())) return;
      this.consoleErrors.push(url ? `${msg.text()} (${url}:${lineNumber})` : msg.text());
    });
    page.on('pageerror', (err) => this.pageErrors.push(`${err.name}: ${err.message}`));
    page.on('response', (res) => {
      const status = res.status();
      if (status < 400) return;
      if (this.expected.get(pathAndQuery(res.url())) === status) return;
      this.failedResponses.push(`${status} ${res.request().method()} ${res.url()}`);
    });
    page.on('requestfailed', (req) => {
      const error = req.failure()?.errorText ?? 'unknown error';
      // Leaving a page cancels what it was still loading (e.g. the wasm of a
      // page the test clicked away from): the browser's doing, not the app's.
      // A missing or broken file shows up as an HTTP error above instead.
      if (error === 'net::ERR_ABORTED') return;
      // Without JavaScript, Chromium blocks the scripts the page preloads.
      if (this.noScripts && error === 'csp' && req.resourceType() === 'script') return;
      this.failedResponses.push(`failed ${req.method()} ${req.url()}: ${error}`);
    });
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) this.visited.push(frame.url());
    });
  }

  /** Tells the recorder that `url` is meant to answer `status` (e.g. a 404 page). */
  expectStatus(url: string, status: number): void {
    this.expected.set(pathAndQuery(url), status);
  }

  /** The test runs with JavaScript disabled: blocked scripts are no error. */
  scriptsDisabled(): void {
    this.noScripts = true;
  }

  private isExpected(url: string): boolean {
    return this.expected.has(pathAndQuery(url));
  }

  /** What went wrong so far, for failure messages. */
  diagnostics(): string {
    const list = (title: string, items: string[]) =>
      `${title}: ${items.length === 0 ? 'none' : items.map((item) => `\n  ${item}`).join('')}`;
    return [
      list('pages visited', this.visited),
      list('HTTP errors', this.failedResponses),
      list('page errors', this.pageErrors),
      list('console errors', this.consoleErrors),
    ].join('\n');
  }

  /** Fails unless no page visited so far had an error of any kind. */
  expectNone(): void {
    const all = [...this.failedResponses, ...this.pageErrors, ...this.consoleErrors];
    expect(all, `errors in the pages visited\n${this.diagnostics()}`).toEqual([]);
  }
}


/** The path and query of `url`, the key of `expectStatus`. */
function pathAndQuery(url: string): string {
  const u = new URL(url, 'http://base.invalid');
  return `${u.pathname}${u.search}`;
}

export interface ScreenshotOptions {
  /** The whole page (default) or only the viewport. */
  fullPage?: boolean;
}

/**
 * What every page of the site has: the site header, one `h1`, a main
 * region, and the error recorder. Subclasses add the page's own parts.
 */
export abstract class BasePage {
  readonly problems: PageProblems;
  readonly heading: Locator;
  readonly main: Locator;
  /** The site-wide navigation in the header. */
  readonly siteNav: Locator;

  constructor(readonly page: Page) {
    this.problems = PageProblems.of(page);
    this.heading = page.getByRole('heading', { level: 1 });
    this.main = page.locator('main#main');
    this.siteNav = page.getByRole('navigation', { name: 'Main' });
  }

  /**
   * Loads `url` and checks its status, then waits until the network is idle,
   * so that the page has loaded (and run) its wasm before the test goes on
   * and any error it causes is recorded against it.
   */
  protected async open(url: string, status = 200): Promise<void> {
    if (status >= 400) this.problems.expectStatus(url, status);
    const response = await this.page.goto(url);
    expect(response?.status(), `status of GET ${url}`).toBe(status);
    await this.settle();
  }

  /** Waits until the page has loaded everything, the wasm included. */
  async settle(): Promise<void> {
    await this.page.waitForLoadState('networkidle');
  }

  /**
   * Clicks `target` and waits for the next page to load and settle. A link
   * needs no `url`: the page must arrive where its `href` points. A button
   * (a form) needs a `url` that the current page does not match.
   */
  protected async follow(target: Locator, url?: RegExp | ((url: URL) => boolean)): Promise<void> {
    let expected: string | RegExp | ((url: URL) => boolean);
    if (url) {
      expected = url;
    } else {
      const href = await target.getAttribute('href');
      if (href === null) throw new Error(`${target} has no href: say which URL it leads to`);
      expected = new URL(href, this.page.url()).href;
    }
    await target.click();
    await this.page.waitForURL(expected);
    await this.settle();
  }

  /** Fails unless no page visited so far had an error. */
  expectNoProblems(): void {
    this.problems.expectNone();
  }

  /** Writes `screenshots/<name>.png`. */
  async screenshot(name: string, { fullPage = true }: ScreenshotOptions = {}): Promise<string> {
    mkdirSync(screenshotDir, { recursive: true });
    const file = path.join(screenshotDir, `${name}.png`);
    await this.page.screenshot({ path: file, fullPage, animations: 'disabled' });
    return file;
  }

  /**
   * How far the document is wider than the viewport, and which elements
   * stick out on the right (outside boxes that scroll or clip on their own,
   * such as `.table-scroll` and the year chart). A page without horizontal overflow gives
   * `{ overflow: 0, offenders: [] }`.
   */
  async horizontalOverflow(): Promise<{ overflow: number; viewport: number; offenders: string[] }> {
    return this.page.evaluate(() => {
      const viewport = document.documentElement.clientWidth;
      const width = Math.max(document.documentElement.scrollWidth, document.body.scrollWidth);
      const offenders: string[] = [];
      // What a scrolling box or an SVG holds is theirs to clip or scroll.
      const contained = (el: Element): boolean => {
        for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
          if (a.tagName.toLowerCase() === 'svg' || ['auto', 'scroll', 'hidden'].includes(getComputedStyle(a).overflowX)) return true;
        }
        return false;
      };
      for (const el of Array.from(document.body.querySelectorAll('*'))) {
        if (contained(el) || el.closest('.visually-hidden')) continue;
        const right = el.getBoundingClientRect().right + window.scrollX;
        if (right > viewport + 0.5) {
          const id = el.id ? `#${el.id}` : '';
          const cls = typeof el.className === 'string' && el.className ? `.${el.className.trim().split(/\s+/).join('.')}` : '';
          offenders.push(`${el.tagName.toLowerCase()}${id}${cls} (right edge at ${Math.round(right)}px)`);
        }
      }
      return { overflow: width - viewport, viewport, offenders: offenders.slice(0, 20) };
    });
  }
}
