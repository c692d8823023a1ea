// Teams: an owner creates a team and invites a colleague by email; the colleague signs up,
// accepts from the emailed link, and the owner changes their role.

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

test("invite a teammate, they accept, the owner changes their role", async () => {
  const owner = await newPage(browser, server);
  const ownerEmail = email("olga");
  await signUp(owner, { name: "Olga Owner", email: ownerEmail });

  await open(owner, "/team");
  await owner.waitForSelector("#team-name");
  await owner.fill("#team-name", "Bean There Marketing");
  await owner.click("#team-create");
  await owner.waitForSelector("#invite-email");
  const guestEmail = email("gus");
  await owner.fill("#invite-email", guestEmail);
  await owner.selectOption("#invite-role", "editor");
  await owner.click("#invite-submit");
  await owner.getByText(guestEmail).first().waitFor();
  await review(owner, "team-invited");

  // The guest signs up in their own browser and follows the emailed link.
  const guest = await newPage(browser, server);
  await signUp(guest, { name: "Gus Guest", email: guestEmail });
  const accept = await server.link(guestEmail, "/invitations/accept");
  await open(guest, accept);
  await guest.waitForSelector("#accept-invitation");
  await review(guest, "accept-invitation");
  await guest.click("#accept-invitation");
  await guest.waitForURL((u) => u.pathname === "/team");
  await guest.locator(`tr[data-email="${ownerEmail}"]`).waitFor();

  // The owner sees the new member and makes them a Viewer.
  await owner.reload();
  await owner.waitForSelector("#team-picker");
  await owner.locator(`tr[data-email="${guestEmail}"]`).waitFor();
  await owner.selectOption(`tr[data-email="${guestEmail}"] select.role-select`, "viewer");
  await owner.waitForTimeout(300);
  await owner.reload();
  await owner.locator(`tr[data-email="${guestEmail}"]`).waitFor();
  assert.equal(await owner.locator(`tr[data-email="${guestEmail}"] select.role-select`).inputValue(), "viewer");
  await review(owner, "team-members");

  // The server agrees: the guest's role in that team is now viewer.
  const roles = await guest.evaluate(async () => {
    const r = await fetch("/api/v1/teams", { headers: { Authorization: `Bearer ${localStorage.getItem("cf.access")}` } });
    return (await r.json()).items.map((t) => [t.name, t.role]);
  });
  assert.deepEqual(
    roles.filter(([name]) => name === "Bean There Marketing"),
    [["Bean There Marketing", "viewer"]],
  );
});
