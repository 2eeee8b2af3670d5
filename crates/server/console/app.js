// The licet console: a page on the server's own API. Every value is written with textContent
// (never parsed as HTML), every request goes to this server only (the Content-Security-Policy says
// so), and state-changing requests carry the session's CSRF token.
"use strict";

const state = { session: null };

const $ = (id) => document.getElementById(id);

/** An element with text content and attributes; never HTML. */
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null) node.setAttribute(name, String(value));
  }
  for (const child of children) {
    node.append(child instanceof Node ? child : document.createTextNode(String(child ?? "")));
  }
  return node;
}

function say(message, isError = false) {
  const status = $("status");
  status.textContent = message;
  status.className = isError ? "error" : "";
}

/** A request to the API with the session cookie (and the CSRF token when it changes state). */
async function api(method, path, body) {
  const headers = { "Accept": "application/json" };
  if (method !== "GET" && state.session) headers["X-CSRF-Token"] = state.session.csrfToken;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  try { data = await response.json(); } catch (_) { data = null; }
  if (response.status === 401 && path !== "/console/session") {
    showSignIn("Your session ended (signed out, expired, or its token was revoked). Sign in again.");
  }
  return { status: response.status, data };
}

function errorText(reply) {
  const message = reply.data?.errors?.[0]?.message ?? reply.data?.message;
  return message ? `${message} (HTTP ${reply.status})` : `HTTP ${reply.status}`;
}

const SECTIONS = [
  { id: "keys", title: "License keys", permission: "manage-license-keys", render: renderKeys },
  { id: "licenses", title: "Installed licenses", permission: "manage-licenses", render: renderLicenses },
  { id: "certificates", title: "Certificates", permission: "manage-certificates", render: renderCertificates },
  { id: "tokens", title: "API tokens", permission: "manage-tokens", render: renderTokens },
  { id: "audit", title: "Audit log", permission: "view-admin-log", render: renderAudit },
  { id: "health", title: "Server health", permission: null, render: renderHealth },
];

/** A labelled form field: label, input (or select), optional hint. */
function field(id, label, attributes = {}, hint) {
  const input = attributes.options
    ? el("select", { id, name: id }, ...attributes.options.map(([value, text]) => el("option", { value }, text)))
    : el("input", { id, name: id, ...attributes });
  const parts = [el("label", { for: id }, label), input];
  if (hint) parts.push(el("p", { class: "hint", id: `${id}-hint` }, hint));
  if (hint) input.setAttribute("aria-describedby", `${id}-hint`);
  return el("div", { class: "field" }, ...parts);
}

/** A table of `rows` with `columns` ([title, value(row)]); values are text or nodes. */
function table(caption, columns, rows) {
  const head = el("tr", {}, ...columns.map(([title]) => el("th", { scope: "col" }, title)));
  const body = rows.map((row) => el("tr", {}, ...columns.map(([, value]) => {
    const cell = value(row);
    return el("td", {}, cell instanceof Node ? cell : String(cell ?? "-"));
  })));
  return el("div", { class: "table-wrap" },
    el("table", {}, el("caption", {}, caption), el("thead", {}, head), el("tbody", {}, ...body)));
}

function button(text, onClick, attributes = {}) {
  const node = el("button", { type: "button", ...attributes }, text);
  node.addEventListener("click", onClick);
  return node;
}

function form(id, submitText, fields, onSubmit) {
  const node = el("form", { id }, ...fields, el("button", { type: "submit" }, submitText));
  node.addEventListener("submit", async (event) => {
    event.preventDefault();
    await onSubmit(new FormData(node), node);
  });
  return node;
}

function when(value) {
  return value ? String(value).replace("T", " ").replace("Z", " UTC") : "-";
}

/** Reports a failed request; true when it succeeded. */
function check(reply, what) {
  if (reply.status >= 200 && reply.status < 300) return true;
  if (reply.status === 401) return false; // api() has already said that the session ended

  say(`${what} failed: ${errorText(reply)}`, true);
  return false;
}

// --- License keys ---------------------------------------------------------------------------

async function renderKeys(page, query = {}) {
  const search = form("key-search", "Search", [
    field("search-customer", "Customer", { type: "text", value: query.customer ?? "" }),
    field("search-product", "Product", { type: "text", value: query.product ?? "" }),
    field("search-status", "Status", { options: [["", "any"], ["active", "active"], ["suspended", "suspended"]] }),
  ], async (data) => {
    const next = {};
    for (const [name, key] of [["search-customer", "customer"], ["search-product", "product"], ["search-status", "status"]]) {
      const value = String(data.get(name) ?? "").trim();
      if (value) next[key] = value;
    }
    await redraw(() => renderKeys(page, next));
  });
  const create = form("key-create", "Create key", [
    field("new-customer", "Customer", { type: "text", required: "" }),
    field("new-product", "Product", { type: "text" }),
    field("new-seats", "Seats", { type: "number", min: "1", value: "1", required: "" }),
    field("new-expires", "Expires", { type: "date" }, "Empty: perpetual. Valid through that whole day (UTC)."),
  ], async (data) => {
    const body = {
      customer: String(data.get("new-customer")).trim(),
      max_activations: Number(data.get("new-seats")),
    };
    const product = String(data.get("new-product") ?? "").trim();
    if (product) body.product = product;
    const expires = String(data.get("new-expires") ?? "");
    if (expires) body.expires_at = expires;
    const reply = await api("POST", "/api/v1/license-keys", body);
    if (!check(reply, "Creating the key")) return;
    const made = reply.data.data;
    await redraw(() => renderKeys(page, query));
    page.append(el("p", { id: "new-key", class: "notice" }, "New key (shown once; only its hash is stored): ",
      el("code", { id: "new-key-text" }, made.license_key)));
    say(`Created a key for ${made.customer}.`);
  });
  const params = new URLSearchParams({ ...query, per_page: "50" });
  const reply = await api("GET", `/api/v1/license-keys?${params}`);
  page.append(el("h3", {}, "Search"), search);
  if (!check(reply, "Listing the keys")) return;
  const keys = reply.data.data;
  page.append(table(`${reply.data.pagination.total} key(s)`, [
    ["Key", (k) => button(`…${k.key_hint ?? k.id.slice(0, 8)}`, () => redraw(() => renderKey(page, k.id)), { class: "secondary", "aria-label": `Show key ${k.key_hint ?? k.id}` })],
    ["Customer", (k) => k.customer],
    ["Product", (k) => k.product],
    ["Seats", (k) => `${k.activations} of ${k.max_activations}`],
    ["Expires", (k) => when(k.expires_at)],
    ["Status", (k) => k.status],
  ], keys));
  page.append(el("h3", {}, "New key"), create);
}

async function renderKey(page, id) {
  const reply = await api("GET", `/api/v1/license-keys/${encodeURIComponent(id)}`);
  if (!check(reply, "Reading the key")) return;
  const key = reply.data.data;
  page.append(el("h3", { id: "key-title" }, `Key …${key.key_hint ?? key.id} of ${key.customer}`));
  page.append(el("dl", { id: "key-details" },
    el("dt", {}, "Id"), el("dd", {}, key.id),
    el("dt", {}, "Product"), el("dd", {}, key.product ?? "-"),
    el("dt", {}, "Status"), el("dd", { id: "key-status" }, key.status),
    el("dt", {}, "Seats"), el("dd", { id: "key-seats" }, `${key.activations} of ${key.max_activations}`),
    el("dt", {}, "Expires"), el("dd", {}, when(key.expires_at)),
  ));
  const patch = async (body, what) => {
    const changed = await api("PATCH", `/api/v1/license-keys/${encodeURIComponent(id)}`, body);
    if (check(changed, what)) {
      say(`${what}: done.`);
      await redraw(() => renderKey(page, id));
    }
  };
  page.append(button(key.status === "active" ? "Suspend" : "Resume",
    () => patch({ status: key.status === "active" ? "suspended" : "active" }, key.status === "active" ? "Suspending" : "Resuming"),
    { id: "key-toggle" }));
  page.append(form("key-seats-form", "Change seats", [
    field("seats", "Seats", { type: "number", min: "1", value: String(key.max_activations), required: "" }),
  ], (data) => patch({ max_activations: Number(data.get("seats")) }, "Changing the seats")));
  page.append(form("key-renew-form", "Renew", [
    field("renew-until", "New expiry", { type: "date", required: "" }, "Valid through that whole day (UTC)."),
  ], (data) => patch({ expires_at: String(data.get("renew-until")) }, "Renewing")));
  page.append(field("key-text", "License key (for downloading a seat's license file)", { type: "text", autocomplete: "off" },
    "The file carries the key's text, which the server keeps only as a hash: paste the key to download a seat's file."));
  page.append(table(`${key.seats.length} seat(s)`, [
    ["Machine", (s) => el("code", {}, s.machine_id)],
    ["Hostname", (s) => s.hostname],
    ["Activated", (s) => when(s.activated_at)],
    ["Last validated", (s) => when(s.last_validated_at)],
    ["License file", (s) => button("Download", () => downloadSeatFile(id, s.machine_id), { class: "secondary", "aria-label": `Download the license file of ${s.hostname ?? s.machine_id}` })],
    ["", (s) => button("Free seat", async () => {
      const freed = await api("DELETE", `/api/v1/license-keys/${encodeURIComponent(id)}/activations/${encodeURIComponent(s.machine_id)}`);
      if (check(freed, "Freeing the seat")) {
        say(`Freed the seat of ${s.hostname ?? s.machine_id}.`);
        await redraw(() => renderKey(page, id));
      }
    }, { "aria-label": `Free the seat of ${s.hostname ?? s.machine_id}` })],
  ], key.seats));
  page.append(button("Back to the keys", () => redraw(() => renderKeys(page)), { class: "secondary" }));
}

async function downloadSeatFile(id, machine) {
  const text = $("key-text").value.trim();
  if (!text) {
    say("Paste the license key's text first: the file carries it, and the server keeps only its hash.", true);
    $("key-text").focus();
    return;
  }
  const reply = await api("POST", `/api/v1/license-keys/${encodeURIComponent(text)}/activations/${encodeURIComponent(machine)}/license`);
  if (!check(reply, "Getting the license file")) return;
  const file = new Blob([reply.data.data.license_file], { type: "application/jwt" });
  const link = el("a", { href: URL.createObjectURL(file), download: `${machine.slice(0, 12)}.lic` });
  document.body.append(link);
  link.click();
  link.remove();
  say("License file downloaded.");
}

// --- Installed licenses ---------------------------------------------------------------------

async function renderLicenses(page) {
  const install = form("license-install", "Install", [
    field("license-file", "License file", { type: "file", required: "" }, "A license file (compact JWT) signed by a trusted vendor key."),
  ], async (data) => {
    const file = data.get("license-file");
    const text = file && typeof file.text === "function" ? (await file.text()).trim() : "";
    const reply = await api("POST", "/api/v1/licenses", { file: text });
    if (check(reply, "Installing the license")) {
      say(`Installed license ${reply.data.data.licenseId}.`);
      await redraw(() => renderLicenses(page));
    }
  });
  const reply = await api("GET", "/api/v1/licenses");
  if (!check(reply, "Listing the licenses")) return;
  page.append(table(`${reply.data.data.length} license(s)`, [
    ["License", (l) => l.licenseId],
    ["Customer", (l) => l.customerId],
    ["Type", (l) => l.licenseType],
    ["Status", (l) => l.status],
    ["Expires", (l) => when(l.expiry)],
    ["Enabled", (l) => (l.enabled ? "yes" : "no")],
    ["", (l) => button(l.enabled ? "Disable" : "Enable", async () => {
      const changed = await api("PATCH", `/api/v1/licenses/${encodeURIComponent(l.licenseId)}`, { enabled: !l.enabled });
      if (check(changed, "Changing the license")) await redraw(() => renderLicenses(page));
    }, { "aria-label": `${l.enabled ? "Disable" : "Enable"} license ${l.licenseId}` })],
  ], reply.data.data));
  page.append(el("h3", {}, "Install a license"), install);
}

// --- Certificates and departments -----------------------------------------------------------

async function renderCertificates(page) {
  const departments = await api("GET", "/api/v1/departments");
  if (!check(departments, "Listing the departments")) return;
  const certificates = await api("GET", "/api/v1/certificates");
  if (!check(certificates, "Listing the certificates")) return;
  page.append(table(`${certificates.data.data.length} certificate(s)`, [
    ["Name", (c) => c.name],
    ["Type", (c) => c.certificateType],
    ["Department", (c) => c.departmentName],
    ["Expires", (c) => when(c.expiry)],
    ["", (c) => button("Delete", async () => {
      const gone = await api("DELETE", `/api/v1/certificates/${encodeURIComponent(c.id)}`);
      if (check(gone, "Deleting the certificate")) await redraw(() => renderCertificates(page));
    }, { "aria-label": `Delete certificate ${c.name}` })],
  ], certificates.data.data));
  const upload = form("certificate-upload", "Upload", [
    field("certificate-file", "PKCS#12 file (.p12, .pfx)", { type: "file", required: "" }),
    field("certificate-passkey", "Passkey", { type: "password", autocomplete: "off", required: "" }),
    field("certificate-department", "Department", {
      options: departments.data.data.map((d) => [d.id, d.name]),
    }),
    field("certificate-alias", "Name", { type: "text" }, "Empty: the file's friendly name."),
  ], async (data) => {
    const body = new FormData();
    body.append("certificateFile", data.get("certificate-file"));
    body.append("passkey", String(data.get("certificate-passkey") ?? ""));
    body.append("departmentId", String(data.get("certificate-department") ?? ""));
    const alias = String(data.get("certificate-alias") ?? "").trim();
    if (alias) body.append("name", alias);
    const response = await fetch("/api/v1/certificates", {
      method: "POST", body, credentials: "same-origin",
      headers: { "X-CSRF-Token": state.session.csrfToken, "Accept": "application/json" },
    });
    let reply = { status: response.status, data: null };
    try { reply.data = await response.json(); } catch (_) { /* no body */ }
    $("certificate-passkey").value = "";
    if (check(reply, "Uploading the certificate")) {
      say(`Uploaded certificate ${reply.data.data.name}.`);
      await redraw(() => renderCertificates(page));
    }
  });
  page.append(el("h3", {}, "Upload a certificate"));
  if (departments.data.data.length === 0) page.append(el("p", { class: "hint" }, "Create a department first."));
  page.append(upload);
  page.append(el("h3", {}, "Departments"));
  page.append(table(`${departments.data.data.length} department(s)`, [["Name", (d) => d.name], ["Created", (d) => when(d.createdAt)]], departments.data.data));
  page.append(form("department-create", "Create department", [field("department-name", "Name", { type: "text", required: "" })], async (data) => {
    const reply = await api("POST", "/api/v1/departments", { name: String(data.get("department-name")).trim() });
    if (check(reply, "Creating the department")) await redraw(() => renderCertificates(page));
  }));
}

// --- API tokens -----------------------------------------------------------------------------

const PERMISSIONS = ["manage-license-keys", "manage-licenses", "manage-certificates", "manage-tokens",
  "view-admin-log", "read-metrics", "edit-privileged-setting"];

async function renderTokens(page) {
  const reply = await api("GET", "/api/v1/tokens");
  if (!check(reply, "Listing the tokens")) return;
  page.append(table(`${reply.data.data.length} token(s)`, [
    ["User", (t) => t.user_id],
    ["Permissions", (t) => t.permissions.join(", ")],
    ["Created", (t) => when(t.created_at)],
    ["Expires", (t) => when(t.expires_at)],
    ["Status", (t) => t.status],
    ["", (t) => (t.status === "active" ? button("Revoke", async () => {
      const gone = await api("DELETE", `/api/v1/tokens/${encodeURIComponent(t.id)}`);
      if (check(gone, "Revoking the token")) await redraw(() => renderTokens(page));
    }, { "aria-label": `Revoke the token of ${t.user_id} made ${when(t.created_at)}` }) : "")],
  ], reply.data.data));
  const mine = PERMISSIONS.filter((p) => state.session.permissions.includes(p));
  const boxes = el("fieldset", {}, el("legend", {}, "Permissions (only those of this session can be given)"),
    ...mine.map((p) => el("div", {}, el("input", { type: "checkbox", id: `perm-${p}`, name: "permission", value: p }),
      el("label", { for: `perm-${p}`, class: "inline" }, p))));
  page.append(el("h3", {}, "New token"), form("token-create", "Create token", [
    field("token-user", "User", { type: "text", required: "" }),
    boxes,
    field("token-days", "Expires after (days)", { type: "number", min: "1", value: "90", required: "" }),
  ], async (data) => {
    const reply = await api("POST", "/api/v1/tokens", {
      user_id: String(data.get("token-user")).trim(),
      permissions: data.getAll("permission").map(String),
      expires_days: Number(data.get("token-days")),
    });
    if (!check(reply, "Creating the token")) return;
    await redraw(() => renderTokens(page));
    page.append(el("p", { id: "new-token", class: "notice" }, "New token (shown once): ",
      el("code", { id: "new-token-text" }, reply.data.data.token)));
  }));
}

// --- Audit log ------------------------------------------------------------------------------

async function renderAudit(page) {
  const reply = await api("GET", "/api/v1/admin-log?per_page=100");
  if (!check(reply, "Reading the audit log")) return;
  page.append(table(`${reply.data.pagination.total} entr${reply.data.pagination.total === 1 ? "y" : "ies"} (newest first)`, [
    ["When", (e) => when(e.at)],
    ["Who", (e) => e.user_id],
    ["What", (e) => e.action],
    ["Target", (e) => e.target],
  ], reply.data.data));
}

/** Empties the page below its title and draws it again. */
async function redraw(draw) {
  const page = $("page");
  page.replaceChildren(page.firstElementChild);
  await draw();
}

function allowed(permission) {
  return permission === null || state.session.permissions.includes(permission);
}

function showSignIn(message) {
  state.session = null;
  $("sign-in").hidden = false;
  $("page").hidden = true;
  $("nav").hidden = true;
  $("who").hidden = true;
  if (message) say(message, true);
  $("token").focus();
  document.body.dataset.view = "sign-in"; // the page is ready for a token (tests wait for it)
}

function showConsole() {
  $("sign-in").hidden = true;
  $("page").hidden = false;
  $("who").hidden = false;
  $("user").textContent = `Signed in as ${state.session.user}`;
  const nav = $("nav");
  nav.replaceChildren(...SECTIONS.filter((s) => allowed(s.permission))
    .map((s) => el("a", { href: `#${s.id}`, id: `nav-${s.id}` }, s.title)));
  nav.hidden = false;
  document.body.dataset.view = "console";
  route();
}

function route() {
  if (!state.session) return;
  const first = SECTIONS.find((s) => allowed(s.permission));
  const id = location.hash.slice(1) || first.id;
  const section = SECTIONS.find((s) => s.id === id && allowed(s.permission)) ?? first;
  for (const link of $("nav").querySelectorAll("a")) {
    if (link.id === `nav-${section.id}`) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const page = $("page");
  page.replaceChildren(el("h2", { id: "page-title", tabindex: "-1" }, section.title));
  section.render(page);
}

async function renderHealth(page) {
  const list = el("dl");
  page.append(list);
  for (const [name, path] of [["Process", "/healthz"], ["Database and keys", "/readyz"]]) {
    const reply = await api("GET", path);
    list.append(el("dt", {}, name), el("dd", { id: `health-${path.slice(1)}` },
      reply.status === 200 ? "ready" : `not ready (${errorText(reply)})`));
  }
  list.append(el("dt", {}, "Permissions of this session"),
    el("dd", {}, state.session.permissions.join(", ") || "none"));
}

async function signIn(event) {
  event.preventDefault();
  const token = $("token").value.trim();
  const reply = await api("POST", "/console/session", { token });
  $("token").value = "";
  if (reply.status !== 201) {
    say(`Sign-in refused: ${errorText(reply)}`, true);
    return;
  }
  state.session = reply.data.data;
  say("Signed in.");
  showConsole();
}

async function signOut() {
  await api("DELETE", "/console/session");
  showSignIn();
  say("Signed out.");
}

async function start() {
  $("sign-in-form").addEventListener("submit", signIn);
  $("sign-out").addEventListener("click", signOut);
  window.addEventListener("hashchange", route);
  const reply = await api("GET", "/console/session");
  if (reply.status === 200) {
    state.session = reply.data.data;
    showConsole();
  } else {
    showSignIn();
  }
}

document.addEventListener("DOMContentLoaded", start);
