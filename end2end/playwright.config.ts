import { defineConfig, devices } from '@playwright/test';
import path from 'node:path';

// One server per run, started by start-server.mjs from the repository root:
// the binary and the site that `cargo leptos build` wrote, a fresh SQLite
// database, and an API token written to E2E_TOKEN_FILE for the API tests.
const port = Number(process.env.E2E_PORT || 3900);
const baseURL = `http://127.0.0.1:${port}`;
const repoRoot = path.resolve(__dirname, '..');

// Set here so that the test workers, which inherit this environment, read
// the same file that start-server.mjs writes.
process.env.E2E_TOKEN_FILE = path.resolve(process.env.E2E_TOKEN_FILE || path.join(__dirname, '.e2e-token'));

export default defineConfig({
  testDir: './tests',
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: 'list',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  use: {
    baseURL,
    trace: 'retain-on-failure',
  },
  projects: [
    {
      name: 'chromium',
      use: {
        ...devices['Desktop Chrome'],
        launchOptions: {
          // Debian's chromium; Playwright's own browsers are never downloaded.
          executablePath: '/usr/bin/chromium',
          args: [
            '--no-sandbox',
            '--disable-gpu',
            '--disable-quic',
            '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
          ],
        },
      },
    },
  ],
  webServer: {
    command: 'node end2end/start-server.mjs',
    cwd: repoRoot,
    url: `${baseURL}/healthz`,
    env: { E2E_PORT: String(port), E2E_TOKEN_FILE: process.env.E2E_TOKEN_FILE },
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: 'pipe',
    stderr: 'pipe',
    gracefulShutdown: { signal: 'SIGTERM', timeout: 5_000 },
  },
});
