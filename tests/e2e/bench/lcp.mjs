// Largest Contentful Paint of the dashboard in headless Chromium with 4× CPU throttling
// (`cargo xtask bench web`). Each run is a cold load (a fresh browser context: no HTTP cache)
// of a signed-in dashboard with data on it. Prints one JSON line with the figures.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { launchBrowser, startServer } from "../harness.mjs";

const RUNS = Number(process.env.LCP_RUNS ?? 7);
const server = await startServer();
const browser = await launchBrowser();

async function api(path, body, token) {
  const r = await fetch(server.base + "/api/v1" + path, {
    method: body ? "POST" : "GET",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
  return r.json();
}

try {
  const signup = await api("/auth/signup", {
    email: `lcp-${Date.now()}@example.com`,
    password: "correct horse battery",
    display_name: "Lena Lighthouse",
  });
  const tokens = signup.tokens;
  const wb = await api(`/teams/${signup.user.personal_team_id}/workbenches`, { name: "Bean There" }, tokens.access_token);
  const project = await api(`/workbenches/${wb.id}/projects`, { name: "Summer" }, tokens.access_token);
  for (const name of ["Iced coffee sale", "New menu", "Weekend hours"]) {
    await api(`/projects/${project.id}/creatives`, { name, width: 1080, height: 1080 }, tokens.access_token);
  }

  const results = {};
  for (const viewport of [
    { name: "1440x900", width: 1440, height: 900 },
    { name: "390x844", width: 390, height: 844 },
  ]) {
    const samples = [];
    for (let i = 0; i < RUNS; i++) {
      const context = await browser.newContext({ viewport });
      const page = await context.newPage();
      // Sign in before the page loads: a fresh refresh each run keeps the session valid.
      const pair = await api("/auth/refresh", { refresh_token: tokens.refresh_token });
      tokens.refresh_token = pair.refresh_token;
      await page.addInitScript(([a, r]) => {
        localStorage.setItem("cf.access", a);
        localStorage.setItem("cf.refresh", r);
      }, [pair.access_token, pair.refresh_token]);
      const cdp = await context.newCDPSession(page);
      await cdp.send("Emulation.setCPUThrottlingRate", { rate: 4 });
      await page.goto(server.base + "/");
      await page.waitForSelector("#recent-creatives li");
      await page.waitForTimeout(300);
      const lcp = await page.evaluate(
        () =>
          new Promise((resolve) => {
            new PerformanceObserver((list) => {
              const entries = list.getEntries();
              const last = entries[entries.length - 1];
              resolve({ ms: last.startTime, element: last.element?.tagName ?? "" });
            }).observe({ type: "largest-contentful-paint", buffered: true });
          }),
      );
      samples.push(lcp.ms);
      await context.close();
    }
    samples.sort((a, b) => a - b);
    results[viewport.name] = {
      runs: RUNS,
      median_ms: Math.round(samples[Math.floor(samples.length / 2)]),
      max_ms: Math.round(samples[samples.length - 1]),
      min_ms: Math.round(samples[0]),
    };
  }
  const sizes = JSON.parse(readFileSync(join(process.env.WEB_DIR, "sizes.json"), "utf8"));
  console.log(JSON.stringify({ lcp_4x_cpu_throttle: results, bundle: sizes }));
} finally {
  await browser.close();
  await server.stop();
}
