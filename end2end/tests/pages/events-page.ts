import type { Locator, Page } from '@playwright/test';
import { BasePage } from './base-page';
import { EventPage } from './event-page';

export interface EventFilter {
  dist?: string;
  release?: string;
  state?: string;
  /** `YYYY-MM-DD` */
  since?: string;
  /** `YYYY-MM-DD` */
  until?: string;
}

/** One row of the events table, as shown. */
export interface EventRow {
  id: number;
  when: string;
  release: string;
  /** "entered stable" or "stable → eol", without the badges. */
  change: string;
  /** Badges after the change, e.g. "retracted". */
  badges: string[];
  retracted: boolean;
}

/** The event log, `/events`: filters, a page of events (newest first), a pager. */
export class EventsPage extends BasePage {
  readonly form: Locator;
  readonly distSelect: Locator;
  readonly releaseInput: Locator;
  readonly stateInput: Locator;
  readonly sinceInput: Locator;
  readonly untilInput: Locator;
  readonly filterButton: Locator;
  readonly rows: Locator;
  readonly olderLink: Locator;
  readonly newestLink: Locator;
  /** Which order the log is in, with a link to the other. */
  readonly order: Locator;

  constructor(page: Page) {
    super(page);
    this.form = page.locator('form.filters');
    this.distSelect = this.form.locator('select[name="dist"]');
    this.releaseInput = this.form.locator('input[name="release"]');
    this.stateInput = this.form.locator('input[name="state"]');
    this.sinceInput = this.form.locator('input[name="since"]');
    this.untilInput = this.form.locator('input[name="until"]');
    this.filterButton = this.form.getByRole('button', { name: 'Filter' });
    this.rows = page.locator('table.events tbody tr[data-id]');
    const pager = page.locator('nav.pager');
    this.olderLink = pager.getByRole('link', { name: 'Older events' });
    this.newestLink = pager.getByRole('link', { name: 'Newest' });
    this.order = page.locator('p.order');
  }

  static path(filter: EventFilter = {}): string {
    const query = new URLSearchParams(Object.entries(filter).filter(([, v]) => v !== undefined));
    return query.size > 0 ? `/events?${query}` : '/events';
  }

  async goto(filter: EventFilter = {}): Promise<void> {
    await this.open(EventsPage.path(filter));
  }

  /** Fills in the filter form and presses Filter. */
  async filter(filter: EventFilter): Promise<void> {
    if (filter.dist !== undefined) await this.distSelect.selectOption(filter.dist);
    if (filter.release !== undefined) await this.releaseInput.fill(filter.release);
    if (filter.state !== undefined) await this.stateInput.fill(filter.state);
    if (filter.since !== undefined) await this.sinceInput.fill(filter.since);
    if (filter.until !== undefined) await this.untilInput.fill(filter.until);
    await this.follow(this.filterButton, (url) =>
      Object.entries(filter).every(([name, value]) => (url.searchParams.get(name) ?? '') === value),
    );
  }

  /** The rows shown, top to bottom. */
  async shownRows(): Promise<EventRow[]> {
    return this.rows.evaluateAll((rows) =>
      rows.map((row) => {
        const clean = (text: string | null | undefined) => text?.replace(/\s+/g, ' ').trim() ?? '';
        const text = (name: string) => clean(row.querySelector(`td.${name}`)?.textContent);
        const change = row.querySelector('td.change')?.cloneNode(true) as Element | undefined;
        const badges = Array.from(change?.querySelectorAll('.badge') ?? []).map((badge) => {
          badge.remove();
          return clean(badge.textContent);
        });
        return {
          id: Number(row.getAttribute('data-id')),
          when: text('when'),
          release: text('release'),
          change: clean(change?.textContent),
          badges,
          retracted: row.classList.contains('retracted'),
        };
      }),
    );
  }

  async ids(): Promise<number[]> {
    return (await this.shownRows()).map((row) => row.id);
  }

  async goToOlder(): Promise<void> {
    await this.follow(this.olderLink);
  }

  /** Follows the link to the other order, named `name`. */
  async sortBy(name: string): Promise<void> {
    await this.follow(this.order.getByRole('link', { name }));
  }

  async goToNewest(): Promise<void> {
    await this.follow(this.newestLink);
  }

  /** Follows the "#N" link of the event `id`. */
  async openEvent(id: number): Promise<EventPage> {
    const link = this.rows.and(this.page.locator(`[data-id="${id}"]`)).getByRole('link', { name: `#${id}` });
    await this.follow(link);
    return new EventPage(this.page);
  }
}
