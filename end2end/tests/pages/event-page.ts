import type { Locator, Page } from '@playwright/test';
import { BasePage } from './base-page';

/** One event, `/events/{id}`: its details, and its retraction if any. */
export class EventPage extends BasePage {
  readonly details: Locator;
  /** The "Retracted" box, shown only for a retracted event. */
  readonly retraction: Locator;

  constructor(page: Page) {
    super(page);
    this.details = page.locator('dl.event');
    this.retraction = page.locator('section.retraction');
  }

  static path(id: number | string): string {
    return `/events/${id}`;
  }

  async goto(id: number | string, status = 200): Promise<void> {
    await this.open(EventPage.path(id), status);
  }

  /** The `dd` that follows the `dt` named `term` ("When", "Release", ...). */
  value(term: string): Locator {
    return this.details.locator(`xpath=dt[normalize-space()="${term}"]/following-sibling::dd[1]`);
  }

  /** The event's number, from the URL. */
  id(): number {
    const match = /\/events\/(\d+)$/.exec(new URL(this.page.url()).pathname);
    if (!match) throw new Error(`not an event page: ${this.page.url()}`);
    return Number(match[1]);
  }
}
