import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';

/** The API token that start-server.mjs created for this run. */
function apiToken(): string {
  const file = process.env.E2E_TOKEN_FILE;
  if (!file) throw new Error('E2E_TOKEN_FILE is not set (see playwright.config.ts)');
  const token = readFileSync(file, 'utf8').trim();
  if (!token) throw new Error(`${file} is empty`);
  return token;
}

const event = { dist: 'fedora', release: '44', state: 'branched', reached: true };

test.describe('JSON API', () => {
  test('records an event posted with a token and shows it in the view', async ({ request }) => {
    const created = await request.post('/api/v1/events', {
      headers: { Authorization: `Bearer ${apiToken()}` },
      data: event,
    });
    expect(created.status(), await created.text()).toBe(201);

    await expect
      .poll(async () => {
        const res = await request.get('/api/v1/views/fedora/states-by-release');
        expect(res.status()).toBe(200);
        return res.json();
      })
      .toMatchObject({ '44': expect.arrayContaining(['branched']) });
  });

  test('refuses an event posted without a token', async ({ request }) => {
    const res = await request.post('/api/v1/events', { data: event });

    expect(res.status()).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: 'unauthenticated' } });
  });
});
