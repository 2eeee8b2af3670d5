// The web console in headless Chromium (issue 14 §2), driven by playwright-core with Debian's
// /usr/bin/chromium: sign in, create a key, activate a machine through the API, see it in the
// console, download its seat's license file and verify it, free the seat, upload a certificate,
// a wrong passkey shown as an error, a token without permission denied, a revoked token ending
// the session, keyboard use and a label on every field; screenshots of the main pages at 1280 px
// and 390 px go to target/console-screenshots/. Run by scripts/console-test.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import assert from "node:assert/strict";

// playwright-core from where scripts/console-test installed it (pinned to the Chromium here).
const { chromium } = await import(process.env.PLAYWRIGHT_CORE ?? "playwright-core");
const root = resolve(import.meta.dirname, "../..");
const licet = process.env.LICET_BIN ?? join(root, "target/debug/licet");
const chromiumPath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const shots = join(root, "target/console-screenshots");
mkdirSync(shots, { recursive: true });
const work = mkdtempSync(join(tmpdir(), "licet-console-"));
const run = (...args) => execFileSync(licet, args, { cwd: work, encoding: "utf8", env: { ...process.env, LICET_DB_URL: "" } });
const db = `sqlite://${work}/licet.db`;

run("keygen", "--alg", "ed25519", "--out", "vendor");
run("db", "init", db);
const admin = run("token", "create", "--db", db, "--user", "admin", "--permission", "all").trim();
const limited = run("token", "create", "--db", db, "--user", "metrics", "--permission", "read-metrics").trim();

const server = spawn(licet, ["serve", "--db", db, "--listen", "127.0.0.1:0", "--trust", "vendor.pub.pem",
  "--license-signing-key", "vendor.key.pem"], { cwd: work, stdio: ["ignore", "pipe", "inherit"],
  env: { ...process.env, LICET_LOG: "warn", LICET_DB_URL: "" } });
const base = await new Promise((done, fail) => {
  createInterface({ input: server.stdout }).once("line", (line) => {
    const url = line.replace(/^listening on /, "").trim();
    url.startsWith("http") ? done(url) : fail(new Error(`unexpected first line: ${line}`));
  });
  server.once("exit", (code) => fail(new Error(`licet serve exited with ${code}`)));
});

const browser = await chromium.launch({
  executablePath: chromiumPath,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const problems = [];
const steps = [];
async function step(name, body) {
  const started = Date.now();
  await body();
  steps.push(`ok   ${name} (${Date.now() - started} ms)`);
  console.log(`ok   ${name}`);
}

async function newPage(viewport = { width: 1280, height: 800 }) {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  page.on("console", (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) problems.push(message.text());
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  return page;
}

async function signIn(page, token) {
  await page.goto(`${base}/console/`);
  await page.locator('body[data-view="sign-in"]').waitFor({ state: "attached" });
  await page.locator("#token").fill(token);
  await page.keyboard.press("Enter"); // by keyboard: the form submits on Enter
  await page.locator("#who").waitFor({ state: "visible" });
}

const status = (page) => page.locator("#status");
const machine = "ab".repeat(32);
let keyText;

try {
  const page = await newPage();
  await step("the sign-in page has a label for every field and takes the token by keyboard", async () => {
    await page.goto(`${base}/console/`);
    await page.locator('body[data-view="sign-in"]').waitFor({ state: "attached" });
    // The page puts the cursor in the token field; Tab reaches the button, Shift+Tab comes back.
    const focused = () => page.evaluate(() => document.activeElement?.id || document.activeElement?.type || "");
    assert.equal(await focused(), "token", "the token field has the focus");
    await page.keyboard.press("Tab");
    assert.equal(await focused(), "submit", "Tab reaches the Sign in button");
    await page.keyboard.press("Shift+Tab");
    assert.equal(await focused(), "token", "Shift+Tab returns to the token field");
    await signIn(page, admin);
    assert.match(await page.locator("#user").textContent(), /admin/);
    for (const section of ["License keys", "Installed licenses", "Certificates", "API tokens", "Audit log", "Server health"]) {
      await page.getByRole("link", { name: section }).waitFor();
    }
  });

  await step("create a key", async () => {
    await page.locator("#new-customer").fill("ACME");
    await page.locator("#new-product").fill("app");
    await page.locator("#new-seats").fill("2");
    await page.getByRole("button", { name: "Create key" }).click();
    keyText = (await page.locator("#new-key-text").textContent()).trim();
    assert.match(keyText, /^[A-Z0-9]{5}(-[A-Z0-9]{5}){4}$/);
    await page.screenshot({ path: join(shots, "keys-1280.png"), fullPage: true });
  });

  await step("activate a machine through the API and see it in the console", async () => {
    const reply = await fetch(`${base}/license/activate`, {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ license_key: keyText, machine_id: machine, hostname: "build-01" }),
    });
    assert.equal(reply.status, 200, await reply.text());
    await page.getByRole("link", { name: "License keys" }).click();
    await page.reload();
    await page.getByRole("button", { name: /Show key/ }).first().click();
    await page.locator("#key-seats").waitFor();
    assert.equal(await page.locator("#key-seats").textContent(), "1 of 2");
    await page.getByRole("cell", { name: "build-01", exact: true }).waitFor();
    await page.screenshot({ path: join(shots, "key-seats-1280.png"), fullPage: true });
  });

  await step("download the seat's license file, which verifies for that machine", async () => {
    await page.locator("#key-text").fill(keyText);
    const download = page.waitForEvent("download");
    await page.getByRole("button", { name: /Download the license file of build-01/ }).click();
    const file = join(work, "seat.lic");
    await (await download).saveAs(file);
    const report = JSON.parse(execFileSync(licet, ["verify", file, "--pubkey", "vendor.pub.pem", "--machine", machine, "--json"],
      { cwd: work, encoding: "utf8" }));
    assert.equal(report.status, "ACTIVE", JSON.stringify(report));
  });

  await step("free the seat", async () => {
    await page.getByRole("button", { name: /Free the seat of build-01/ }).click();
    await page.locator("#status", { hasText: "Freed the seat" }).waitFor();
    await page.locator("#key-seats", { hasText: "0 of 2" }).waitFor();
  });

  await step("upload a certificate; a wrong passkey is shown as an error", async () => {
    await page.getByRole("link", { name: "Certificates" }).click();
    await page.locator("#department-name").fill("HR");
    await page.getByRole("button", { name: "Create department" }).click();
    await page.locator("#certificate-department option", { hasText: "HR" }).waitFor({ state: "attached" });
    const p12 = join(root, "fixtures/pkcs12/openssl3-rsa2048.p12");
    await page.locator("#certificate-file").setInputFiles(p12);
    await page.locator("#certificate-passkey").fill("not-the-passkey");
    await page.getByRole("button", { name: "Upload" }).click();
    await page.locator("#status.error", { hasText: "Uploading the certificate failed" }).waitFor();
    assert.match(await status(page).textContent(), /Wrong passkey/, "the error names the passkey");
    await page.screenshot({ path: join(shots, "certificate-wrong-passkey-1280.png"), fullPage: true });
    await page.locator("#certificate-file").setInputFiles(p12);
    await page.locator("#certificate-passkey").fill("fixture-passphrase-not-secret");
    await page.getByRole("button", { name: "Upload" }).click();
    await page.locator("#status", { hasText: "Uploaded certificate" }).waitFor();
    await page.getByRole("cell", { name: "openssl3-rsa2048", exact: true }).waitFor();
    await page.screenshot({ path: join(shots, "certificates-1280.png"), fullPage: true });
  });

  await step("install a license file and disable it", async () => {
    const license = join(work, "installed.lic");
    run("issue", "--key", "vendor.key.pem", "--customer", "ACME", "--product", "app", "--expires", "2099-01-01", "--out", license);
    await page.getByRole("link", { name: "Installed licenses" }).click();
    await page.locator("#license-file").setInputFiles(license);
    await page.getByRole("button", { name: "Install" }).click();
    await page.locator("#status", { hasText: "Installed license" }).waitFor();
    await page.getByRole("button", { name: /^Disable license/ }).click();
    await page.getByRole("button", { name: /^Enable license/ }).waitFor();
    await page.screenshot({ path: join(shots, "licenses-1280.png"), fullPage: true });
  });

  await step("create and list tokens; the audit log and health pages", async () => {
    await page.getByRole("link", { name: "API tokens" }).click();
    await page.locator("#token-user").fill("support");
    await page.locator("#perm-manage-license-keys").check();
    await page.getByRole("button", { name: "Create token" }).click();
    assert.match(await page.locator("#new-token-text").textContent(), /^lct_/);
    await page.screenshot({ path: join(shots, "tokens-1280.png"), fullPage: true });
    await page.getByRole("link", { name: "Audit log" }).click();
    await page.getByRole("cell", { name: "license_key.create", exact: true }).first().waitFor();
    await page.screenshot({ path: join(shots, "audit-1280.png"), fullPage: true });
    await page.getByRole("link", { name: "Server health" }).click();
    await page.locator("#health-readyz", { hasText: "ready" }).waitFor();
    await page.screenshot({ path: join(shots, "health-1280.png"), fullPage: true });
  });

  await step("every field of every page has a label", async () => {
    for (const [section, form] of [["keys", "#key-create"], ["licenses", "#license-install"],
      ["certificates", "#certificate-upload"], ["tokens", "#token-create"]]) {
      await page.goto(`${base}/console/#${section}`);
      await page.locator(form).waitFor(); // this section's own form, not the previous page's
      const unlabelled = await page.evaluate(() => [...document.querySelectorAll("input, select")]
        .filter((e) => !e.closest("[hidden]") && !document.querySelector(`label[for="${e.id}"]`)).map((e) => e.id || e.name));
      assert.deepEqual(unlabelled, [], `unlabelled fields on #${section}`);
    }
  });

  await step("the layout at 390 px", async () => {
    const phone = await newPage({ width: 390, height: 844 });
    await signIn(phone, admin);
    await phone.getByRole("link", { name: "License keys" }).click();
    await phone.locator("#key-search").waitFor();
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow} px wider than the screen`);
    await phone.screenshot({ path: join(shots, "keys-390.png"), fullPage: true });
    await phone.context().close();
  });

  await step("sign out ends the session on the server, not only in the browser", async () => {
    const cookie = (await page.context().cookies()).find((c) => c.name === "licet_session");
    assert.ok(cookie?.httpOnly && cookie.sameSite === "Strict", JSON.stringify(cookie));
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.locator("#sign-in").waitFor({ state: "visible" });
    // The old cookie, replayed from outside the browser: the server has deleted the session.
    const replayed = await fetch(`${base}/api/v1/license-keys`, { headers: { Cookie: `licet_session=${cookie.value}` } });
    assert.equal(replayed.status, 401, "the session ended on the server");
    // And a change with the cookie but without the CSRF token is refused (a fresh session).
    await signIn(page, admin);
    const noCsrf = await page.evaluate(async () => {
      const reply = await fetch("/api/v1/license-keys", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ customer: "X", max_activations: 1 }) });
      return (await reply.json()).errors[0].code;
    });
    assert.equal(noCsrf, "LE_ERR_SS_304");
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.locator("#sign-in").waitFor({ state: "visible" });
  });

  await step("a token without permission sees no section it may not use and is refused", async () => {
    const other = await newPage();
    await signIn(other, limited);
    assert.equal(await other.getByRole("link", { name: "License keys" }).count(), 0);
    await other.locator("#health-readyz").waitFor();
    const refused = await other.evaluate(async () => {
      const session = await (await fetch("/console/session")).json();
      const reply = await fetch("/api/v1/license-keys", {
        method: "POST", headers: { "Content-Type": "application/json", "X-CSRF-Token": session.data.csrfToken },
        body: JSON.stringify({ customer: "X", max_activations: 1 }),
      });
      return [reply.status, (await reply.json()).errors[0].code];
    });
    assert.deepEqual(refused, [403, "LE_ERR_SS_302"], "refused for the permission, not for CSRF");
    await other.goto(`${base}/console/#keys`);
    await other.locator("#health-readyz").waitFor(); // the keys page is not offered
    await other.screenshot({ path: join(shots, "limited-token-1280.png"), fullPage: true });
    await other.context().close();
  });

  await step("a revoked token ends its session in the open page", async () => {
    const open = await newPage();
    await signIn(open, admin);
    const tokens = JSON.parse(run("token", "list", "--db", db, "--json"));
    const adminId = tokens.find((t) => t.user_id === "admin").id;
    run("token", "revoke", adminId, "--db", db);
    await open.getByRole("link", { name: "License keys" }).click();
    await open.locator("#status", { hasText: "Your session ended" }).waitFor();
    await open.locator("#sign-in").waitFor({ state: "visible" });
    await open.context().close();
  });

  assert.deepEqual(problems, [], "no Content-Security-Policy violations or page errors");
  console.log(`console: ${steps.length} steps passed; screenshots in ${shots}`);
} finally {
  await browser.close();
  server.kill();
  writeFileSync(join(shots, "steps.txt"), steps.join("\n") + "\n");
}
