// The browser end-to-end harness: starts the real sync-server binary (SQLite in a temporary
// folder, the web bundle from `cargo xtask web`, the embedded generation worker), drives
// Debian's Chromium with playwright-core, reads emails from the server's outbox log, writes
// screenshots of every screen at 390×844 and 1440×900 under target/e2e-screenshots/, and runs
// axe-core on every screen (no serious or critical violations allowed).
//
// Environment (set by `cargo xtask test`):
//   SYNC_SERVER_BIN  the server binary
//   WEB_DIR          the web bundle
//   CHROMIUM         the browser (default /usr/bin/chromium)
//   SCREENSHOT_DIR   where screenshots go (default <repo>/target/e2e-screenshots)

import { spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, "..", "..");
export const screenshotDir = process.env.SCREENSHOT_DIR ?? join(repo, "target", "e2e-screenshots");
const axeSource = readFileSync(join(here, "node_modules", "axe-core", "axe.min.js"), "utf8");

export const VIEWPORTS = [
  { name: "390x844", width: 390, height: 844 },
  { name: "1440x900", width: 1440, height: 900 },
];

/** The real server on a fresh SQLite database. */
export async function startServer(extraEnv = {}) {
  const bin = process.env.SYNC_SERVER_BIN;
  const web = process.env.WEB_DIR;
  assert.ok(bin, "SYNC_SERVER_BIN must name the sync-server binary (cargo xtask test sets it)");
  assert.ok(web, "WEB_DIR must name the web bundle (cargo xtask web builds it)");
  const dir = mkdtempSync(join(tmpdir(), "cf-e2e-"));
  const env = { ...process.env };
  delete env.CREATIVEFLOW_CONFIG;
  const child = spawn(bin, ["--bind", "127.0.0.1:0", "--data-dir", dir, "--web-dir", web, "--log-format", "json"], {
    env: {
      ...env,
      CREATIVEFLOW_AUTH__ARGON2_MEMORY_KIB: "1024",
      CREATIVEFLOW_AUTH__ARGON2_ITERATIONS: "1",
      CREATIVEFLOW_LIMITS__PER_IP_PER_SEC: "0",
      CREATIVEFLOW_LIMITS__PER_USER_PER_SEC: "0",
      CREATIVEFLOW_LIMITS__AUTH_PER_IP_PER_MIN: "0",
      CREATIVEFLOW_LIMITS__MFA_PER_ACCOUNT_PER_MIN: "0",
      RUST_LOG: "info",
      ...extraEnv,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const emails = [];
  const log = [];
  createInterface({ input: child.stderr }).on("line", (line) => {
    log.push(line);
    if (!line.includes("email (not sent")) return;
    try {
      const v = JSON.parse(line);
      const f = v.fields ?? v;
      emails.push({ to: f.to, subject: f.subject, body: f.body });
    } catch {
      // not a JSON line
    }
  });
  const base = await new Promise((resolve, reject) => {
    const out = createInterface({ input: child.stdout });
    out.once("line", (line) => {
      const m = /listening on (http:\/\/\S+)/.exec(line);
      m ? resolve(m[1]) : reject(new Error(`server said ${line}`));
    });
    child.once("exit", (code) => reject(new Error(`server exited with ${code}: ${log.slice(-20).join("\n")}`)));
  });
  return {
    base,
    emails,
    log,
    /** The newest link in an email to `to` whose path starts with `prefix`, as a path + query. */
    async link(to, prefix) {
      for (let i = 0; i < 100; i++) {
        for (const e of [...emails].reverse()) {
          if (e.to !== to) continue;
          const m = e.body.match(/https?:\/\/[^\s]+/g) ?? [];
          for (const url of m) {
            const u = new URL(url);
            if (u.pathname.startsWith(prefix)) return u.pathname + u.search;
          }
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`no email to ${to} with a ${prefix} link; emails: ${JSON.stringify(emails)}`);
    },
    async stop() {
      child.kill("SIGTERM");
      await new Promise((r) => (child.exitCode !== null ? r() : child.once("exit", r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Debian's Chromium, headless, with the flags this sandbox needs. */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
    ],
  });
}

/** A fresh browser context (its own storage) with a page at the phone size; console errors fail the test. */
export async function newPage(browser, server, { locale = "en-US" } = {}) {
  const context = await browser.newContext({ viewport: VIEWPORTS[0], locale, acceptDownloads: true });
  const page = await context.newPage();
  page.errors = [];
  page.on("pageerror", (e) => page.errors.push(String(e)));
  page.on("console", (m) => {
    if (m.type() === "error" && !/Failed to load resource/.test(m.text())) page.errors.push(m.text());
  });
  page.base = server.base;
  return page;
}

/** Opens an app path and waits for the app to render. */
export async function open(page, path) {
  await page.goto(page.base + path);
  await page.waitForSelector("#main-content");
}

const axeFindings = [];

/**
 * Screenshots the current screen at both sizes (target/e2e-screenshots/NAME-390x844.png and
 * NAME-1440x900.png) and runs axe-core on it at each size; serious and critical violations fail.
 */
export async function review(page, name) {
  mkdirSync(screenshotDir, { recursive: true });
  const original = page.viewportSize();
  const problems = [];
  for (const vp of VIEWPORTS) {
    await page.setViewportSize({ width: vp.width, height: vp.height });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.waitForTimeout(150);
    await page.screenshot({ path: join(screenshotDir, `${name}-${vp.name}.png`), fullPage: true });
    if (!(await page.evaluate(() => typeof window.axe !== "undefined"))) {
      await page.addScriptTag({ content: axeSource });
    }
    const result = await page.evaluate(async () => {
      const r = await window.axe.run(document, { resultTypes: ["violations"] });
      return r.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
      }));
    });
    axeFindings.push({ screen: name, viewport: vp.name, violations: result });
    for (const v of result) {
      if (v.impact === "serious" || v.impact === "critical") {
        problems.push(`${name} @${vp.name}: ${v.id} (${v.impact}) ${v.help}: ${v.nodes.join(", ")}`);
      }
    }
  }
  await page.setViewportSize(original);
  writeFileSync(join(screenshotDir, "axe.json"), JSON.stringify(axeFindings, null, 2));
  assert.deepEqual(problems, [], `axe-core found serious or critical violations:\n${problems.join("\n")}`);
  assert.deepEqual(page.errors, [], `the page logged errors on ${name}`);
}

/** A unique email address for this run. */
export function email(who) {
  return `${who}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}@example.com`;
}

/** Signs up through the form and waits for the dashboard. */
export async function signUp(page, { name, email, password = "correct horse battery" }) {
  await open(page, "/signup");
  await page.fill("#signup-name", name);
  await page.fill("#signup-email", email);
  await page.fill("#signup-password", password);
  await page.click("#signup-submit");
  await page.waitForURL((u) => u.pathname === "/");
  await page.waitForSelector("#credits");
}

/** RFC 6238 TOTP (SHA-1, 6 digits, 30 s) for a base32 secret, `stepOffset` steps from now. */
export function totp(secret, stepOffset = 0) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of secret.replace(/=+$/, "").toUpperCase()) {
    const v = alphabet.indexOf(c);
    if (v < 0) continue;
    bits += v.toString(2).padStart(5, "0");
  }
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  const step = BigInt(Math.floor(Date.now() / 1000 / 30) + stepOffset);
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(step);
  const mac = createHmac("sha1", Buffer.from(bytes)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const code = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return code.toString().padStart(6, "0");
}

/** Width and height from a PNG's IHDR chunk. */
export function pngSize(bytes) {
  assert.equal(bytes.subarray(1, 4).toString("latin1"), "PNG", "the file is a PNG");
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}
