// Two-step verification: enrol with the QR code's secret, then sign in with a code.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { email, launchBrowser, newPage, open, review, signUp, startServer, totp } from "./harness.mjs";

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

test("enrol in MFA and sign in with a code", async () => {
  const page = await newPage(browser, server);
  const me = email("mona");
  const password = "a long enough password";
  await signUp(page, { name: "Mona MFA", email: me, password });

  await open(page, "/account");
  await page.click("#mfa-start");
  await page.waitForSelector("#mfa-secret");
  assert.equal(await page.locator("[role=img] svg, svg[role=img]").count() > 0, true, "a QR code is shown");
  await review(page, "mfa-setup");
  const secret = (await page.locator("#mfa-secret").textContent()).replace(/\s+/g, "");
  await page.fill("#mfa-confirm-code", totp(secret));
  await page.click("#mfa-confirm");
  await page.waitForSelector("#recovery-codes li");
  assert.equal(await page.locator("#recovery-codes li").count(), 10);
  await review(page, "mfa-recovery-codes");

  // Sign out, then in again: password, then the code.
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL((u) => u.pathname === "/login");
  await page.fill("#login-email", me);
  await page.fill("#login-password", password);
  await page.click("#login-submit");
  await page.waitForSelector("#mfa-code");
  await review(page, "login-mfa");
  // The enrolment used this time step's code; a step is accepted once, so use the next one
  // (the server allows one step of drift).
  await page.fill("#mfa-code", totp(secret, 1));
  await page.click("#mfa-submit");
  await page.waitForURL((u) => u.pathname === "/");
  await page.waitForSelector("#credits");
});
