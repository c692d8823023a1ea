// KPI-002, time to first value: a newcomer signs up, verifies their email from the outbox,
// generates four designs, picks one, exports it as a 4K PNG (the download is checked for its
// size) and finds the creative on the dashboard. Every screen on the way, and every other
// screen of the app, is screenshotted at both sizes and checked with axe-core.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { email, launchBrowser, newPage, open, pngSize, review, signUp, startServer } from "./harness.mjs";

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test("sign up, verify, generate, pick, export 4K, see it on the dashboard", async () => {
  const page = await newPage(browser, server);
  const me = email("maya");

  await open(page, "/signup");
  await review(page, "signup");
  await open(page, "/login");
  await review(page, "login");

  await signUp(page, { name: "Maya Designer", email: me });
  // Unverified: the banner says so.
  await page.waitForSelector(".banner.verify");
  await review(page, "dashboard-new");

  // Verify the email with the link from the outbox.
  const verify = await server.link(me, "/verify-email");
  await open(page, verify);
  await page.waitForSelector("#verify-result");
  await review(page, "verify-email");
  await open(page, "/");
  await page.waitForSelector("#credits");
  assert.equal(await page.locator(".banner.verify").count(), 0, "the banner goes once verified");

  // 4K needs Pro: switch plans on the billing screen (the stand-in for a payment provider).
  await open(page, "/billing");
  await page.waitForSelector('[data-plan="pro"]');
  await review(page, "billing");
  await page.click('[data-plan="pro"]');
  const confirm = page.locator(".modal button.primary");
  if (await confirm.count()) await confirm.first().click();
  await page.waitForFunction(() => /Pro/.test(document.querySelector("main")?.textContent ?? ""));

  // Describe the creative.
  await open(page, "/generate");
  await page.waitForSelector("#prompt");
  await review(page, "generate");
  await page.fill("#prompt", "Summer sale: 30% off all iced coffees this weekend at Bean There café");
  await page.selectOption("#format", { index: 0 });
  await page.click("#generate-submit");

  // Four previews arrive.
  await page.waitForURL(/\/generations\//);
  await page.waitForFunction(() => document.querySelectorAll("#samples li.sample img[src^='blob:']").length === 4, null, {
    timeout: 60_000,
  });
  await review(page, "generation");

  // Pick the second design, open it as a creative and export a 4K PNG.
  await page.click("#samples li.sample:nth-child(2) button.pick");
  await page.waitForSelector("#pick-dialog");
  if (await page.locator("#pick-create-project").count()) {
    await page.click("#pick-create-project");
  }
  await page.waitForSelector("#pick-project option", { state: "attached" });
  await page.fill("#pick-name", "Iced coffee sale");
  await page.check("#pick-export");
  await page.selectOption("#final-size", "uhd4k");
  await page.selectOption("#final-format", "png");
  await review(page, "pick-dialog");
  await page.click("#pick-submit");
  const link = page.locator("#final-download");
  await link.waitFor({ timeout: 120_000 });
  const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
  const file = await download.path();
  const { width, height } = pngSize(readFileSync(file));
  assert.equal(Math.max(width, height), 3840, `a 4K PNG is 3840 px on its long side (got ${width}×${height})`);

  // The creative is on the dashboard.
  await open(page, "/");
  const recent = page.locator("#recent-creatives");
  await recent.getByText("Iced coffee sale").first().waitFor();
  await review(page, "dashboard");

  // Every other screen, for people to review and for axe.
  await recent.getByText("Iced coffee sale").first().click();
  await page.waitForURL(/\/creatives\//);
  await page.waitForSelector("#export-open");
  await review(page, "creative");
  await page.click("#export-open");
  await page.waitForSelector("#export-dialog");
  await review(page, "export-dialog");
  await page.keyboard.press("Escape");

  // The template gallery: search, filter, sort, and start a creative from a template.
  await open(page, "/templates");
  await page.waitForSelector("#template-grid li.template-card");
  const all = await page.locator("#template-grid li.template-card").count();
  assert.ok(all >= 60, `the gallery shows the whole library (${all})`);
  await review(page, "templates");
  await page.fill("#template-search", "quote");
  await page.press("#template-search", "Enter");
  await page.waitForFunction(
    (n) => {
      const cards = document.querySelectorAll("#template-grid li.template-card");
      return cards.length > 0 && cards.length < n;
    },
    all,
  );
  await page.fill("#template-search", "");
  await page.press("#template-search", "Enter");
  await page.selectOption("#filter-industry", "food-and-drink");
  await page.waitForFunction((n) => document.querySelectorAll("#template-grid li.template-card").length < n, all);
  await page.click("#tab-trending");
  await page.locator("#template-grid li.template-card .use-template").first().click();
  await page.waitForSelector("#use-template");
  await review(page, "use-template-dialog");
  await page.waitForSelector("#use-project option", { state: "attached" });
  await page.click("#use-submit");
  await page.waitForURL(/\/creatives\//);
  await page.waitForSelector("#export-open");

  await open(page, "/workbenches");
  await page.waitForSelector("#workbench-name");
  await review(page, "workbenches");
  const workbench = page.locator("main a[href^='/workbenches/']").first();
  await workbench.click();
  await page.waitForSelector("#brand-kit");
  await review(page, "workbench");
  const project = page.locator("main a[href^='/projects/']").first();
  await project.click();
  await page.waitForURL(/\/projects\//);
  await page.getByText("Iced coffee sale").first().waitFor();
  await review(page, "project");

  await open(page, "/account");
  await page.waitForSelector("#profile-name");
  await review(page, "account");
  await open(page, "/team");
  await page.waitForSelector("#team-name");
  await review(page, "team");
  await open(page, "/no-such-page");
  await review(page, "not-found");
});
