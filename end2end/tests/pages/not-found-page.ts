import type { Locator, Page } from '@playwright/test';
import { BasePage } from './base-page';

/** What any unknown address answers: a 404 with h1 "Not found". */
export class NotFoundPage extends BasePage {
  readonly backLink: Locator;

  constructor(page: Page) {
    super(page);
    this.backLink = this.main.getByRole('link', { name: 'Back to the state matrix' });
  }

  /** Loads `url`, which must answer 404 (and is then no error). */
  async goto(url: string): Promise<void> {
    await this.open(url, 404);
  }

  async goBack(): Promise<void> {
    await this.follow(this.backLink);
  }
}
