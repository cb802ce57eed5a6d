import { expect, type Locator, type Page } from '@playwright/test';
import { BasePage } from './base-page';
import { EventPage } from './event-page';

export const monthNames = [
  'January', 'February', 'March', 'April', 'May', 'June',
  'July', 'August', 'September', 'October', 'November', 'December',
];

export interface CalendarQuery {
  year: number;
  /** 1–12; absent in the year view. */
  month?: number;
  view?: 'year';
  dist?: string;
}

/**
 * The calendar: `/calendar?year=2021&month=4&dist=fedora` (a month, with the
 * events of each day) or `/calendar?year=2021&view=year&dist=fedora` (a year,
 * as an SVG chart with one bar per stay in a state).
 */
export class CalendarPage extends BasePage {
  /** The h2 above the month ("April 2021") or the year ("2021"). */
  readonly title: Locator;
  readonly monthTable: Locator;
  readonly previousMonth: Locator;
  readonly nextMonth: Locator;
  readonly todayLink: Locator;
  readonly yearViewLink: Locator;
  readonly distSelect: Locator;
  readonly monthSelect: Locator;
  readonly yearInput: Locator;
  readonly showButton: Locator;
  /** The year chart of the stays that changed during the year. */
  readonly yearChart: Locator;
  /** The folded chart of the stays that lasted the whole year. */
  readonly unchanged: Locator;

  constructor(page: Page) {
    super(page);
    this.title = this.main.getByRole('heading', { level: 2 }).first();
    this.monthTable = page.locator('table.month');
    const pager = page.locator('nav.pager');
    this.previousMonth = pager.getByRole('link', { name: '← Previous month' });
    this.nextMonth = pager.getByRole('link', { name: 'Next month →' });
    this.todayLink = pager.getByRole('link', { name: 'Today', exact: true });
    this.yearViewLink = pager.getByRole('link', { name: 'Year view' });
    const filters = page.locator('form.filters');
    this.distSelect = filters.locator('select[name="dist"]');
    this.monthSelect = filters.locator('select[name="month"]');
    this.yearInput = filters.locator('input[name="year"]');
    this.showButton = filters.getByRole('button', { name: 'Show' });
    this.yearChart = page.locator('figure#year-chart');
    this.unchanged = page.locator('details.unchanged');
  }

  static path({ year, month, view, dist }: CalendarQuery): string {
    const query = new URLSearchParams({ year: String(year) });
    if (month !== undefined) query.set('month', String(month));
    if (view) query.set('view', view);
    if (dist !== undefined) query.set('dist', dist);
    return `/calendar?${query}`;
  }

  async goto(query: CalendarQuery): Promise<void> {
    await this.open(CalendarPage.path(query));
  }

  /** Checks that the page shows `month` (1–12) of `year`. */
  async expectMonth(year: number, month: number): Promise<void> {
    await expect(this.title).toHaveText(`${monthNames[month - 1]} ${year}`);
    await expect(this.monthTable).toHaveAttribute('data-month', `${year}-${String(month).padStart(2, '0')}`);
  }

  /** The cell of one day, `YYYY-MM-DD`. */
  day(date: string): Locator {
    return this.monthTable.locator(`td[data-date="${date}"]`);
  }

  /** The cells marked as today. */
  get todayCells(): Locator {
    return this.monthTable.locator('td.today');
  }

  /** The links to the events of the month, e.g. "Fedora 34 entered stable". */
  get eventLinks(): Locator {
    return this.monthTable.locator('td[data-date] li a');
  }

  async goToNextMonth(): Promise<void> {
    await this.follow(this.nextMonth);
  }

  async goToPreviousMonth(): Promise<void> {
    await this.follow(this.previousMonth);
  }

  async goToToday(): Promise<void> {
    await this.follow(this.todayLink);
  }

  /** Follows a "previous / next event" jump of the pager, by its text. */
  async jump(name: string): Promise<void> {
    await this.follow(this.page.locator('nav.pager').getByRole('link', { name, exact: true }));
  }

  async goToYearView(): Promise<void> {
    await this.follow(this.yearViewLink);
  }

  /** Chooses a dist ('' for all) and presses Show. */
  async showDist(dist: string): Promise<void> {
    await this.distSelect.selectOption(dist);
    await this.follow(this.showButton, (url) => (url.searchParams.get('dist') ?? '') === dist);
  }

  /** Follows the link of one event on the day `date`. */
  async openEvent(date: string, text: string): Promise<EventPage> {
    await this.follow(this.day(date).getByRole('link', { name: text, exact: true }));
    return new EventPage(this.page);
  }

  /** The rows of a year chart (`g.row`) of one release in one state. */
  chartRow(release: string, state: string, chart: Locator = this.yearChart): Locator {
    return chart.locator(`g.row[data-release="${release}"][data-state="${state}"]`);
  }

  /** The bars of those rows. */
  bars(release: string, state: string, chart: Locator = this.yearChart): Locator {
    return this.chartRow(release, state, chart).locator('rect.bar');
  }
}
