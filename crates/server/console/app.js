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
  { id: "health", title: "Server health", permission: null, render: renderHealth },
];

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
  route();
}

function route() {
  if (!state.session) return;
  const id = location.hash.slice(1) || "health";
  const section = SECTIONS.find((s) => s.id === id && allowed(s.permission)) ?? SECTIONS[0];
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
