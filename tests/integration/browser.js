// The console in a real browser: Debian's Chromium (installed by scripts/install-deps)
// driven headless by playwright-core. Every page opened here records what the browser
// complained about (uncaught exceptions, console errors, Content-Security-Policy
// violations), so that a test can assert the console ran cleanly.
//
// While working on web/ without rebuilding, run a test with TRIBUTARY_CONSOLE_DIR=web:
// serverArgs() then makes the server read the console's files from there.
'use strict';

const fs = require('node:fs');
const assert = require('node:assert/strict');
const { chromium } = require('playwright-core');
const { eventually } = require('./harness');

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

// Extra `tributary server` flags for a console test.
function serverArgs() {
  return process.env.TRIBUTARY_CONSOLE_DIR ? ['--console-dir', process.env.TRIBUTARY_CONSOLE_DIR] : [];
}

async function launchBrowser() {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: run scripts/install-deps (Debian package chromium) or set CHROMIUM`);
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
}

// Opens the console of `server` in a fresh browser context (its own sessionStorage)
// and, unless signIn is false, signs in with the admin token. Returns {page, context,
// problems}: problems collects every error the page reported.
async function openConsole(browser, server, { signIn = true, hash = '' } = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  // Generous: under a parallel ctest on two cores a page's API calls can take seconds.
  context.setDefaultTimeout(20000);
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console.error: ${m.text()}`); });
  page.on('dialog', (d) => d.accept());  // confirm() before deletions
  await page.goto(`http://127.0.0.1:${server.httpPort}/console/${hash}`);
  if (signIn) {
    await page.fill('#token', server.token);
    await page.click('[data-testid=signin] button[type=submit]');
    await page.waitForSelector('nav a[data-route="/"]');
  }
  return { page, context, problems };
}

// Asserts that the page reported nothing but the expected HTTP errors (a 4xx the test
// provoked shows up as a console error "Failed to load resource").
function assertNoProblems(problems, { allowHttpErrors = false } = {}) {
  const real = allowHttpErrors ? problems.filter((p) => !/Failed to load resource/.test(p)) : problems;
  assert.deepEqual(real, [], `the console reported problems:\n${real.join('\n')}`);
}

// The trimmed text of every cell of the table `testid`, as rows of strings.
async function tableRows(page, testid) {
  return page.$$eval(`table[data-testid="${testid}"] tbody tr`,
    (rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent.trim())));
}

module.exports = { serverArgs, launchBrowser, openConsole, assertNoProblems, tableRows, eventually };
