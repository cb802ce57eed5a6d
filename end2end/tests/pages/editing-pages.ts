import { expect, type Locator, type Page } from '@playwright/test';
import { BasePage } from './base-page';

/** The accounts of the loopback OpenID provider (end2end/oidc). */
export type Account = 'editor' | 'viewer';


/** Signs in through the header's "Sign in" link and the provider's form. */
export async function signIn(page: Page, user: Account): Promise<void> {
  await page.goto('/');
  await page.getByRole('link', { name: 'Sign in' }).click();
  await page.getByLabel('Username').fill(user);
  await page.getByLabel('Password').fill('password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.pathname === '/');
  await expect(page.locator('.account')).toContainText(`Signed in as ${user}`);
}

/** Signs out with the header's button. */
export async function signOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('link', { name: 'Sign in' })).toBeVisible();
}

/** The fields an event form has. */
export interface EventFields {
  dist?: string;
  release?: string;
  state?: string;
  change?: 'entered the state' | 'left the state';
  /** `datetime-local` value, e.g. `2026-02-10T14:00`. */
  when?: string;
  note?: string;
  link?: string;
}

/** An event form (record or correct), found by its id. */
export class EventForm {
  readonly form: Locator;

  constructor(readonly page: Page, id: string) {
    this.form = page.locator(`form#${id}`);
  }

  field(label: string): Locator {
    return this.form.getByLabel(label, { exact: false });
  }

  async fill(values: EventFields): Promise<void> {
    const text: [keyof EventFields, string][] = [
      ['dist', 'Dist'], ['release', 'Release'], ['state', 'State'], ['when', 'When (UTC)'], ['note', 'Note'], ['link', 'Link'],
    ];
    for (const [key, label] of text) {
      const value = values[key];
      if (value !== undefined) await this.form.locator(`[name="${key === 'when' ? 'at' : key}"]`).fill(value);
      void label;
    }
    if (values.change) await this.form.locator('select[name="reached"]').selectOption({ label: values.change });
  }

  /** The error shown next to `name`'s field. */
  errorOf(name: string): Locator {
    return this.form.locator(`[name="${name}"] ~ .field-error`);
  }
}

/** `/events/new`. */
export class RecordPage extends BasePage {
  readonly form: EventForm;
  readonly submit: Locator;
  readonly outcome: Locator;

  constructor(page: Page) {
    super(page);
    this.form = new EventForm(page, 'record-form');
    this.submit = page.getByRole('button', { name: 'Record the event' });
    this.outcome = page.locator('main p.notice[role="status"]');
  }

  async goto(status = 200): Promise<void> {
    await this.open('/events/new', status);
  }
}
