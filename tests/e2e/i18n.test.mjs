// Languages: switching to de-DE changes the interface, dates and numbers, and survives a reload.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { email, launchBrowser, newPage, open, review, signUp, startServer } from "./harness.mjs";

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

test("switch the language to German", async () => {
  const page = await newPage(browser, server);
  await signUp(page, { name: "Dora Deutsch", email: email("dora") });
  const nav = page.getByRole("navigation", { name: "Main" });
  await nav.getByRole("link", { name: "Templates", exact: true }).waitFor();

  await page.selectOption("#language", "de-DE");
  await page.getByRole("navigation", { name: "Hauptnavigation" }).getByRole("link", { name: "Vorlagen", exact: true }).waitFor();
  assert.equal(await page.getAttribute("html", "lang"), "de-DE");
  await review(page, "dashboard-de");

  // It sticks: on this browser and on the account.
  await page.reload();
  await page.getByRole("navigation", { name: "Hauptnavigation" }).getByRole("link", { name: "Vorlagen", exact: true }).waitFor();
  await open(page, "/billing");
  await page.waitForSelector("[data-plan]");
  // German number formatting: credits use a decimal comma when they have a fraction, and the
  // period is a German date.
  const text = await page.locator("main").textContent();
  assert.match(text, /Guthaben|Credits/);
  await review(page, "billing-de");
  const language = await page.evaluate(async () => {
    const r = await fetch("/api/v1/me", { headers: { Authorization: `Bearer ${localStorage.getItem("cf.access")}` } });
    return (await r.json()).language;
  });
  assert.equal(language, "de-DE");

  // Offline: a banner says so (in German), and goes when the connection is back.
  await page.context().setOffline(true);
  await page.getByText("Sie sind offline").waitFor();
  await review(page, "offline-banner-de");
  await page.context().setOffline(false);
  await page.getByText("Sie sind offline").waitFor({ state: "detached" });
});
