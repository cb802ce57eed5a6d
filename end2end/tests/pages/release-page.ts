import type { Locator, Page } from '@playwright/test';
import { BasePage } from './base-page';
import { EventPage } from './event-page';

/**
 * One release, `/dists/{dist}/releases/{release}`: the state it is in, its
 * stays in each state ("History by state") and its events.
 */
export class ReleasePage extends BasePage {
  readonly breadcrumb: Locator;
  /** "In eol (since 2022-06-07)." */
  readonly current: Locator;
  readonly histories: Locator;
  readonly eventRows: Locator;
  /** "Released 2021-04-27 · End of life 2022-06-07 · supported 13.4 months" */
  readonly lifecycle: Locator;
  /** Links to the previous and next release. */
  readonly neighbours: Locator;

  constructor(page: Page) {
    super(page);
    this.breadcrumb = page.locator('p.breadcrumb');
    this.current = page.locator('p.current');
    this.histories = page.locator('section.state-history');
    this.eventRows = page.locator('table.events tbody tr[data-id]');
    this.lifecycle = page.locator('p.lifecycle');
    this.neighbours = page.locator('nav.neighbours');
  }

  static path(dist: string, release: string, at?: string): string {
    const base = `/dists/${encodeURIComponent(dist)}/releases/${encodeURIComponent(release)}`;
    return at ? `${base}?at=${at}` : base;
  }

  async goto(dist: string, release: string, at?: string): Promise<void> {
    await this.open(ReleasePage.path(dist, release, at));
  }

  /** The "History by state" section of one state. */
  history(state: string): Locator {
    return this.page.locator(`section.state-history[data-state="${state}"]`);
  }

  /** The stays in `state`: [entered, left] per row, "—" for "not yet". */
  async stays(state: string): Promise<string[][]> {
    return this.history(state)
      .locator('tbody tr')
      .evaluateAll((rows) =>
        rows.map((row) => Array.from(row.querySelectorAll('td')).map((td) => td.textContent?.trim() ?? '')),
      );
  }

  /** The "Change" column of the events table, top to bottom. */
  async eventChanges(): Promise<string[]> {
    return this.eventRows.evaluateAll((rows) =>
      rows.map((row) => row.querySelector('td.change')?.textContent?.trim() ?? ''),
    );
  }

  /** Follows the date a stay in `state` began, to its event. */
  async openEntered(state: string, date: string): Promise<EventPage> {
    const link = this.history(state).locator('tbody tr td:first-child').getByRole('link', { name: date });
    await this.follow(link);
    return new EventPage(this.page);
  }
}
