import { expect, type Locator, type Page } from '@playwright/test';
import { BasePage } from './base-page';

/** For each release, the states it is in; releases in no state are left out. */
export type StatesByRelease = Record<string, string[]>;

export interface MatrixQuery {
  /** One dist (`/dists/{dist}`) instead of all of them (`/`). */
  dist?: string;
  /** A day in the past (`YYYY-MM-DD`), or the present if absent. */
  at?: string;
}

/**
 * The state matrix: `/` for every dist, `/dists/{dist}` for one. Each dist
 * is a `section.matrix[data-dist]` with one row per release and one cell per
 * state; the date picker above it is the only wasm island of the site.
 */
export class MatrixPage extends BasePage {
  readonly sections: Locator;
  /** "As of 2021-03-01. Back to now", shown only for a day in the past. */
  readonly banner: Locator;
  readonly backToNow: Locator;
  readonly picker: Locator;
  readonly dateInput: Locator;
  readonly showButton: Locator;

  constructor(page: Page) {
    super(page);
    this.sections = page.locator('section.matrix');
    this.banner = page.locator('p.as-of');
    this.backToNow = this.banner.getByRole('link', { name: 'Back to now' });
    this.picker = page.locator('form.at-picker');
    this.dateInput = this.picker.locator('input[type="date"][name="at"]');
    this.showButton = this.picker.getByRole('button', { name: 'Show' });
  }

  static path({ dist, at }: MatrixQuery = {}): string {
    const base = dist ? `/dists/${encodeURIComponent(dist)}` : '/';
    return at ? `${base}?at=${at}` : base;
  }

  async goto(query: MatrixQuery = {}, status = 200): Promise<void> {
    await this.open(MatrixPage.path(query), status);
  }

  section(dist: string): Locator {
    return this.page.locator(`section.matrix[data-dist="${dist}"]`);
  }

  /** The dists shown, in page order. */
  async dists(): Promise<string[]> {
    return this.sections.evaluateAll((sections) => sections.map((s) => s.getAttribute('data-dist') ?? ''));
  }

  /** The releases of `dist`, in row order. */
  async releases(dist: string): Promise<string[]> {
    return this.section(dist)
      .locator('tbody tr[data-release]')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-release') ?? ''));
  }

  /** Cells of `dist` that say "in this state". */
  inCells(dist: string): Locator {
    return this.section(dist).locator('td[data-in="true"]');
  }

  /** What the matrix of `dist` shows, as the JSON view states-by-release gives it (states sorted). */
  async states(dist: string): Promise<StatesByRelease> {
    await expect(this.section(dist), `the matrix of ${dist}`).toBeVisible();
    return this.section(dist).evaluate((section) => {
      const states: Record<string, string[]> = {};
      for (const row of Array.from(section.querySelectorAll('tbody tr[data-release]'))) {
        const release = row.getAttribute('data-release') ?? '';
        const inStates = Array.from(row.querySelectorAll('td[data-in="true"]')).map(
          (cell) => cell.getAttribute('data-state') ?? '',
        );
        if (inStates.length > 0) states[release] = inStates.sort();
      }
      return states;
    });
  }

  /** Types a day into the date picker, without pressing Show. */
  async chooseDate(date: string): Promise<void> {
    await this.dateInput.fill(date);
  }

  /** Presses Show and waits for the page of the chosen day. */
  async show(date: string): Promise<void> {
    await this.follow(this.showButton, (url) => url.searchParams.get('at') === date);
  }

  async goBackToNow(): Promise<void> {
    await this.follow(this.backToNow);
  }
}
