import { test as base, expect, type APIRequestContext } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { PageProblems } from './pages/base-page';
import type { StatesByRelease } from './pages/matrix-page';

/**
 * `test` for the page specs: every test that uses a page ends by checking
 * that no page it visited logged a console error, threw, or got an HTTP
 * error (see `PageProblems`); a test that expects an error status says so
 * to the page object (`NotFoundPage`).
 */
export const test = base.extend<{ problems: PageProblems }>({
  problems: [
    async ({ page, javaScriptEnabled }, use) => {
      const problems = PageProblems.of(page);
      if (javaScriptEnabled === false) problems.scriptsDisabled();
      await use(problems);
      // Let the last page finish loading (and hydrating) before judging it.
      await page.waitForLoadState('networkidle').catch(() => {});
      problems.expectNone();
    },
    { auto: true },
  ],
});

export { expect };

/** The dists and imported histories every run has (see start-server.mjs). */
export const importedDists = ['debian', 'fedora', 'ubuntu'] as const;

/** The API token that start-server.mjs created for this run. */
export function apiToken(): string {
  const file = process.env.E2E_TOKEN_FILE;
  if (!file) throw new Error('E2E_TOKEN_FILE is not set (see playwright.config.ts)');
  const token = readFileSync(file, 'utf8').trim();
  if (!token) throw new Error(`${file} is empty`);
  return token;
}

/** `GET /api/v1/views/{dist}/states-by-release[?at=]`, states sorted. */
export async function jsonStates(request: APIRequestContext, dist: string, at?: string): Promise<StatesByRelease> {
  const url = `/api/v1/views/${dist}/states-by-release${at ? `?at=${at}` : ''}`;
  const res = await request.get(url);
  expect(res.status(), `status of GET ${url}`).toBe(200);
  const body = (await res.json()) as StatesByRelease;
  return Object.fromEntries(Object.entries(body).map(([release, states]) => [release, [...states].sort()]));
}

/** The dists the JSON API knows, in its order. */
export async function jsonDists(request: APIRequestContext): Promise<string[]> {
  const res = await request.get('/api/v1/dists');
  expect(res.status(), 'status of GET /api/v1/dists').toBe(200);
  const body = (await res.json()) as { dists: { dist: string }[] };
  // The matrix leaves out dists whose every event was retracted: their
  // detailed view is empty.
  const shown: string[] = [];
  for (const { dist } of body.dists) {
    const detailed = await request.get(`/api/v1/views/${encodeURIComponent(dist)}/detailed`);
    if (Object.keys(await detailed.json()).length > 0) shown.push(dist);
  }
  return shown;
}

/**
 * Runs `read` between two reads of the JSON truth and returns both, retrying
 * while they differ: the API spec records events while the page specs run,
 * and a comparison is only fair against a log that held still meanwhile.
 */
export async function whileStill<T, R>(
  truth: () => Promise<T>,
  read: () => Promise<R>,
  attempts = 5,
): Promise<{ truth: T; read: R }> {
  for (let attempt = 1; ; attempt++) {
    const before = await truth();
    const shown = await read();
    const after = await truth();
    if (JSON.stringify(before) === JSON.stringify(after) || attempt >= attempts) {
      return { truth: after, read: shown };
    }
  }
}

/** A phone-sized screen (390×844, like an iPhone 12–15), in Chromium. */
export const phone = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 3,
  isMobile: true,
  hasTouch: true,
};

/** Today, `YYYY-MM-DD`, in UTC like the server. */
export function todayUtc(): string {
  return new Date().toISOString().slice(0, 10);
}
