// PCCC Sync web UI: a single page over the node's /api. No build step, no dependencies.
// Every value from the API is put in the page as text (never as HTML).
"use strict";

// `watch`: what the current page consulted, and its revision; the page is consulted again
// (and audited again) only when that revision moves.
// `reviewsDue`: how many of this centre's records are due for review (a count, not audited).
const state = { token: sessionStorage.getItem("pccc-token"), me: null, status: null, kinds: null, version: null, dirty: false, watch: null, overdue: [], reviewsDue: 0, unheldUrgent: 0, notice: null };

// ---- DOM and API helpers ----

function h(tag, attributes, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

function svg(tag, attributes, ...children) {
  const element = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [name, value] of Object.entries(attributes || {})) element.setAttribute(name, value);
  for (const child of children.flat(Infinity)) element.append(child instanceof Node ? child : String(child));
  return element;
}

// An error answer of the API: its stable code, its sentence, and the field it concerns (or null).
class APIError extends Error {
  constructor(code, message, field) { super(message); this.code = code; this.field = field || null; }
}

// The purpose as a header value: a browser sends only Latin-1 in a header, so any other text
// (Cyrillic, Greek, …) goes as RFC 8187's utf-8''%XX, which the node decodes.
function purposeHeader() {
  const purpose = document.getElementById("purpose").value.trim();
  return /^[\x20-\x7e]*$/.test(purpose) ? purpose : "utf-8''" + encodeURIComponent(purpose);
}

// `background` marks a call no person made (the live updates): it does not keep the
// session from ending when nobody uses it.
async function api(method, path, body, background) {
  const headers = { Authorization: "Bearer " + state.token };
  if (background) headers["PCCC-Background"] = "true";
  const purpose = purposeHeader();
  if (purpose) headers["PCCC-Purpose"] = purpose;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (response.status === 401 && state.me) {
    const reason = data && data.error ? data.error.message : "the session ended";
    forgetSession("Signed out: " + reason + ".");
    throw new APIError("unauthenticated", reason, null);
  }
  if (!response.ok) {
    const error = (data && data.error) || { code: "internal", message: response.statusText, field: null };
    throw new APIError(error.code, error.message, error.field);
  }
  return data;
}

function show(...content) {
  const main = document.getElementById("main");
  main.replaceChildren(...content.filter((child) => child !== null && child !== undefined && child !== false));
}

function message(kind, text) {
  return h("div", { class: "message " + kind, role: kind === "error" ? "alert" : "status" }, text);
}

function time(iso) {
  if (!iso) return "—";
  return new Date(iso).toLocaleString("en-GB", { dateStyle: "short", timeStyle: "medium" });
}

function short(id) { return id ? id.slice(0, 8) : ""; }

function recordLink(id, label) { return h("a", { href: "#/record/" + id }, label || short(id)); }

function fieldLabel(name) { return name.replace(/_/g, " "); }

function badge(kind, text) { return h("span", { class: "badge " + kind }, text); }

function myGroups() { return state.status ? state.status.groups.map((g) => g.group) : []; }

// ---- sign in ----

// The session token lives in this tab's sessionStorage and travels only in the Authorization
// header: no cookie, so no other site can make the browser send it.
function forgetSession(reason) {
  state.token = null;
  state.me = null;
  sessionStorage.removeItem("pccc-token");
  sessionStorage.removeItem("pccc-purpose");
  document.getElementById("purpose").value = "";
  renderBar();
  renderSignIn(reason);
}

async function signOut() {
  try { await api("DELETE", "/api/session"); } catch (error) { /* already ended */ }
  forgetSession();
}

function renderSignIn(reason) {
  const name = h("input", { id: "name", name: "username", autocomplete: "username", required: true, "aria-label": "name" });
  const password = h("input", { id: "password", type: "password", autocomplete: "current-password", required: true, "aria-label": "password" });
  const feedback = h("div");
  if (reason) feedback.append(message("error", reason));
  const form = h("form", {
    id: "signin-form",
    onsubmit: async (event) => {
      event.preventDefault();
      const response = await fetch("/api/session", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ name: name.value.trim(), password: password.value }),
      });
      const data = await response.json().catch(() => null);
      password.value = "";
      if (!response.ok) {
        feedback.replaceChildren(message("error", data && data.error ? data.error.message : response.statusText));
        return;
      }
      state.token = data.token;
      state.me = data.user;
      sessionStorage.setItem("pccc-token", state.token);
      await start();
    },
  },
    h("label", { for: "name" }, "Name"), name,
    h("label", { for: "password" }, "Password"), password,
    h("button", { type: "submit", id: "signin" }, "Sign in"));
  show(h("section", { class: "card signin" },
    h("h1", {}, "Sign in"),
    h("p", { class: "muted" }, "An admin sets your password on this node with: pccc users password YOUR-NAME"),
    form, feedback));
  name.focus();
}

function renderBar() {
  const signedIn = Boolean(state.me);
  document.getElementById("nav").hidden = !signedIn;
  document.getElementById("sign-out").hidden = !signedIn;
  document.getElementById("purpose-box").hidden = !signedIn;
  document.getElementById("nav-audit").hidden = !(signedIn && state.me.role === "admin");
  const node = state.status ? state.status.node : "";
  document.getElementById("who").textContent = signedIn ? `${state.me.name} (${state.me.role}) at ${node}` : "";
  for (const link of document.querySelectorAll("#nav a")) {
    link.classList.toggle("current", link.dataset.view === currentView().name);
  }
}

// ---- routing ----

function currentView() {
  const [path, query] = location.hash.replace(/^#/, "").split("?");
  const parts = path.split("/").filter(Boolean);
  const params = new URLSearchParams(query || "");
  const name = parts[0] || "dashboard";
  return { name, parts, params };
}

const views = {
  dashboard: renderDashboard,
  search: renderSearch,
  new: renderNewRecord,
  record: renderRecord,
  requests: renderRequests,
  handover: renderHandover,
  reviews: renderReviews,
  reports: renderReports,
  topology: renderTopology,
  audit: renderAudit,
};

async function route() {
  if (!state.me) return;
  state.dirty = false;
  state.watch = null;
  renderBar();
  const view = currentView();
  const render = views[view.name];
  if (!render) return show(message("error", "There is no page " + location.hash));
  try {
    await render(view);
  } catch (error) {
    if (error.code === "purpose_required") return askPurpose(error.message);
    if (error.code !== "unauthenticated") show(message("error", error.message));
  }
}

// The node logs a purpose with every consultation (docs/AUDIT.md); a page that needs one it
// was not given asks for it in the bar's Purpose box and opens once it is there.
function askPurpose(sentence) {
  const box = document.getElementById("purpose");
  box.classList.add("needed");
  show(h("section", { class: "card", id: "purpose-needed" },
    h("h1", {}, "Purpose needed"),
    message("error", sentence[0].toUpperCase() + sentence.slice(1) + "."),
    h("p", {}, "Type it in the Purpose box at the top and press Enter. Every page you open is logged with it until you change it.")));
  box.focus();
}

// The case numbers the node lists, offered in the Purpose box.
async function loadCaseNumbers() {
  const purposes = await api("GET", "/api/purposes");
  document.getElementById("purpose-cases").replaceChildren(...purposes.case_numbers.map((number) => h("option", { value: number })));
}

// ---- dashboard ----

function peerTable(status) {
  if (status.peers.length === 0) return h("p", { class: "muted" }, "No linked peers.");
  return h("table", { id: "peers" },
    h("tr", {}, h("th", {}, "Peer"), h("th", {}, "Link"), h("th", {}, "Since"), h("th", {}, "Last contact"),
      h("th", {}, "Lag (batches)"), h("th", {}, "Oldest waiting"), h("th", {}, "Last error")),
    status.peers.map((peer) => {
      return h("tr", { "data-peer": peer.peer },
        h("td", {}, peer.peer),
        h("td", {}, peer.connected ? badge("ok", "connected") : badge("bad", "down")),
        h("td", {}, time(peer.since)),
        h("td", {}, time(peer.last_contact)),
        h("td", {}, peer.lag > 0 ? badge("warn", String(peer.lag)) : "0"),
        h("td", {}, peer.lag_seconds > 0 ? peer.lag_seconds + " s" : "—"),
        h("td", { class: "muted" }, peer.connected ? "" : peer.last_error || ""));
    }));
}

// The dashboard's status part: drawn again at every poll that changes it, with no audited call.
function statusCards(status) {
  const alarms = status.alarms.length === 0
    ? h("p", { class: "muted" }, "No alarms.")
    : h("ul", { id: "alarms" }, status.alarms.map((a) => h("li", {}, badge("bad", a.code), " ", a.message, ` (×${a.count})`)));
  const split = status.groups.filter((g) => g.unreachable.length > 0);
  // Certificates in use that expire within 30 days (warning) or 7 (critical), or expired.
  const expiring = (status.certificates || []).filter((c) => c.level !== "ok");
  const certificates = expiring.length === 0 ? null
    : h("ul", { id: "certificate-warnings" }, expiring.map((c) =>
      h("li", { "data-certificate": c.certificate }, badge(c.level === "warning" ? "warn" : "bad", `certificate ${c.level}`), " ", c.message)));
  return h("div", { id: "status-cards" },
    h("p", {}, status.serving ? badge("ok", "serving") : badge("bad", "not serving"),
      ` ${status.streams.length} streams held, ${status.quarantined} batches quarantined`),
    state.unheldUrgent > 0 ? h("p", { id: "unheld-urgent", class: "message error", role: "alert" },
      h("a", { href: "#/handover" }, `${state.unheldUrgent} urgent request${state.unheldUrgent === 1 ? "" : "s"} nobody has taken`)) : null,
    h("p", { id: "reviews-due", "data-due": state.reviewsDue },
      h("a", { href: "#/reviews" }, `Reviews due: ${state.reviewsDue}`), state.reviewsDue > 0 ? badge("warn", "to review") : null),
    h("div", { class: "grid" },
      h("section", { class: "card" }, h("h2", {}, "Peers"), peerTable(status)),
      h("section", { class: "card" }, h("h2", {}, "Alarms"), alarms, certificates,
        split.length ? h("div", {}, split.map((g) => message("error", `Group ${g.group} has no path to ${g.unreachable.join(", ")}`))) : null,
        h("h2", {}, "Overdue requests"),
        state.overdue.length === 0 ? h("p", { class: "muted" }, "None.") :
          h("ul", {}, state.overdue.map((r) => h("li", {}, h("a", { href: "#/requests/" + r.id }, `${r.from} → ${r.to}: ${r.question}`)))))));
}

async function renderDashboard() {
  state.overdue = await api("GET", "/api/requests?overdue=true");
  state.unheldUrgent = (await api("GET", "/api/handover/count")).unheld_urgent;
  state.unheldAskedAt = Date.now();
  state.reviewsDue = (await api("GET", "/api/reviews/count")).due;
  state.reviewsAskedAt = Date.now();
  const recent = await api("GET", "/api/records?limit=10");
  show(
    h("h1", {}, `Node ${state.status.node} — network ${state.status.network}`),
    statusCards(state.status),
    h("section", { class: "card" }, h("h2", {}, "Recently changed records"), recordTable(recent)));
}

function recordTable(records) {
  if (records.length === 0) return h("p", { class: "muted" }, "No records.");
  return h("table", { class: "records" },
    h("tr", {}, h("th", {}, "Record"), h("th", {}, "Kind"), h("th", {}, "Group"), h("th", {}, "Origin"), h("th", {}, "Changed")),
    records.map((r) => h("tr", {},
      h("td", {}, recordLink(r.id, r.label || short(r.id))), h("td", {}, r.kind), h("td", {}, r.group),
      h("td", {}, r.origin), h("td", {}, time(r.changed_at)))));
}

// ---- search ----

async function renderSearch(view) {
  const q = view.params.get("q") || "";
  const kind = view.params.get("kind") || "";
  const input = h("input", { id: "search-text", type: "search", value: q, placeholder: "name, plate, document or serial number — any script" });
  const kinds = h("select", { id: "search-kind", "aria-label": "kind" }, h("option", { value: "" }, "all kinds"),
    state.kinds.filter((k) => k.searchable).map((k) => h("option", { value: k.kind, selected: k.kind === kind }, k.kind)));
  const results = h("div", { id: "results" });
  const form = h("form", {
    class: "searchbar",
    onsubmit: (event) => {
      event.preventDefault();
      const params = new URLSearchParams({ q: input.value.trim() });
      if (kinds.value) params.set("kind", kinds.value);
      const target = "#/search?" + params.toString();
      // The same search again (new records may have arrived) does not change the hash.
      if (location.hash === target) route(); else location.hash = target;
    },
  }, input, kinds, h("button", { type: "submit", id: "search-button" }, "Search"));
  show(h("h1", {}, "Search"), form, results);
  input.focus();
  if (!q) return;
  const params = new URLSearchParams({ q });
  if (kind) params.set("kind", kind);
  const hits = await api("GET", "/api/search?" + params.toString());
  results.replaceChildren(hits.length === 0 ? h("p", { class: "muted" }, `Nothing found for “${q}”.`) :
    h("table", {}, h("tr", {}, h("th", {}, "Record"), h("th", {}, "Kind"), h("th", {}, "Group")),
      hits.map((hit) => h("tr", { class: "hit" },
        h("td", {}, recordLink(hit.id, hit.label),
          // The same subject recorded at other centres: one line, each record still its owner's.
          hit.same_as.length === 0 ? "" : h("span", { class: "muted same-as" }, " · also recorded as ", hit.same_as.map((other, index) => [index ? ", " : "", recordLink(other)]))),
        h("td", {}, hit.kind), h("td", {}, hit.group)))));
}

// ---- create and edit ----

// A list (a field that merges as a set) is edited one entry per line.
const listHints = {
  person_name: "current|Surname|Forenames, one per line (types: current, birth, previous, alias)",
  partial_date: "1984-03-07, 1984-03, 1984 or 1980..1985, one per line",
  national_id: "RS:0101990710008, one per line",
  country: "RS, MK…, one per line",
};

function listEntries(text) {
  return [...new Set(text.split("\n").map((line) => line.trim()).filter((line) => line))];
}

function fieldInput(field, value, entries) {
  const id = "field-" + field.name;
  let input;
  if (field.merge === "set") {
    const placeholder = field.allowed ? field.allowed.join(", ") + ": one per line" : listHints[field.format] || "one per line";
    input = h("textarea", { id, name: field.name, rows: 2, placeholder, "data-list": "true" });
    input.value = (entries || []).join("\n");
  } else if (field.allowed) {
    input = h("select", { id, name: field.name }, h("option", { value: "" }, "—"),
      field.allowed.map((v) => h("option", { value: v, selected: v === value }, v)));
  } else {
    const placeholder = { date: "YYYY-MM-DD", country: "RS, MK, ME, AL…", timestamp: "YYYY-MM-DDTHH:MM:SSZ" }[field.format] || "";
    input = h("input", { id, name: field.name, value: value || "", placeholder });
  }
  input.addEventListener("input", () => { state.dirty = true; input.classList.remove("invalid"); });
  return input;
}

// Marks the field a validation message names and brings the message into view.
// Marks the input the error names (its `field`), and clears the mark from the others.
function markInvalid(form, field) {
  form.parentElement.scrollIntoView({ block: "start" });
  for (const element of form.querySelectorAll("[name]")) element.classList.toggle("invalid", element.name === field);
}

// A label and an input per field, for the create and edit forms.
function fieldRows(fields, values, entries) {
  return fields.map((f) => [h("label", { for: "field-" + f.name, class: f.required ? "required" : null }, fieldLabel(f.name)),
    fieldInput(f, values[f.name], (entries || {})[f.name])]);
}

function editableFields(kind) {
  return state.kinds.find((k) => k.kind === kind).fields.filter((f) => !f.managed);
}

async function renderNewRecord(view) {
  const kind = view.parts[1] || "person";
  const kindSelect = h("select", { id: "new-kind", onchange: () => { location.hash = "#/new/" + kindSelect.value; } },
    state.kinds.filter((k) => !k.append_only && k.kind !== "request").map((k) => h("option", { value: k.kind, selected: k.kind === kind }, k.kind)));
  const groupSelect = h("select", { id: "new-group", name: "group" }, myGroups().map((g) => h("option", { value: g }, g)));
  const feedback = h("div", { id: "feedback" });
  const fields = editableFields(kind);
  const form = h("form", {
    class: "fields", id: "record-form",
    onsubmit: async (event) => {
      event.preventDefault();
      const values = {};
      const add = {};
      for (const field of fields) {
        if (field.merge === "set") {
          const entries = listEntries(form.elements[field.name].value);
          if (entries.length) add[field.name] = entries;
          continue;
        }
        const value = form.elements[field.name].value.trim();
        if (value) values[field.name] = value;
      }
      try {
        const created = await api("POST", "/api/records", { kind, group: groupSelect.value, fields: values, add });
        state.dirty = false;
        if (created.possible_matches.length === 0) {
          location.hash = "#/record/" + created.id;
          return;
        }
        show(h("h1", {}, "Saved: possible matches"), possibleMatches(created.id, created.possible_matches));
      } catch (error) {
        feedback.replaceChildren(message("error", error.message));
        markInvalid(form, error.field);
      }
    },
  },
    h("label", { for: "new-kind" }, "Kind"), kindSelect,
    h("label", { for: "new-group" }, "Group"), groupSelect,
    fieldRows(fields, {}),
    h("span"), h("div", { class: "actions" }, h("button", { type: "submit", id: "create" }, "Create")));
  show(h("h1", {}, "New record"), h("section", { class: "card" }, feedback, form));
}

// The records the node found that may be the same subject as the one just saved, strongest
// first; staff mark each the same subject (a same_as link) or different (not_same).
function possibleMatches(id, matches) {
  const strength = { identifier: "same identifier", name_and_birth_date: "same name and date of birth", name: "same name" };
  const decide = (match, role, row) => async () => {
    try {
      await api("POST", "/api/records", { kind: "link", group: match.group, fields: { from_id: id, to_id: match.id, role } });
      row.querySelector(".actions").replaceChildren(h("span", { class: "muted" }, role === "same_as" ? "marked the same subject" : "marked different"));
    } catch (error) {
      row.append(message("error", error.message));
    }
  };
  return h("section", { class: "card", id: "possible-matches" },
    h("p", {}, "The record is saved. These records may be the same subject; mark each, or leave them."),
    h("table", {}, h("tr", {}, h("th", {}, "Record"), h("th", {}, "Why"), h("th", {}, "Owner"), h("th", {}, "")),
      matches.map((match) => {
        const row = h("tr", { class: "possible-match", "data-id": match.id },
          h("td", {}, recordLink(match.id, match.label)), h("td", {}, `${strength[match.strength]}: ${match.reason}`), h("td", {}, match.origin),
          h("td", { class: "actions" }));
        row.querySelector(".actions").append(
          h("button", { type: "button", class: "same-subject", onclick: decide(match, "same_as", row) }, "Same subject"),
          h("button", { type: "button", class: "secondary different", onclick: decide(match, "not_same", row) }, "Different"));
        return row;
      })),
    h("div", { class: "actions" }, h("a", { href: "#/record/" + id, id: "open-saved" }, "Open the saved record")));
}

// The records linked to this one, both ways, and a form to link another of its group.
function linksCard(record) {
  const feedback = h("div");
  const form = h("form", {
    class: "searchbar", id: "link-form",
    onsubmit: async (event) => {
      event.preventDefault();
      try {
        await api("POST", "/api/records", {
          kind: "link", group: record.group,
          fields: { from_id: record.id, to_id: form.elements.other.value.trim(), role: form.elements.role.value },
        });
        state.dirty = false;
        route();
      } catch (error) {
        feedback.replaceChildren(message("error", error.message));
      }
    },
  }, h("input", { name: "other", placeholder: "id of the record to link", required: true, oninput: () => { state.dirty = true; } }),
    h("select", { name: "role" }, ["owner", "driver", "holder", "associate", "member", "same_as", "not_same"].map((r) => h("option", { value: r }, r))),
    h("button", { type: "submit" }, "Link"));
  const links = record.links || [];
  return h("section", { class: "card", id: "links" }, h("h2", {}, "Linked records"), feedback,
    links.length === 0 ? h("p", { class: "muted" }, "None.") :
      h("ul", {}, links.map((link) => h("li", { class: "link", "data-id": link.id },
        `${link.direction === "to" ? "→" : "←"} ${fieldLabel(link.role)} `, `${link.kind} `, recordLink(link.id, link.label),
        link.source ? h("span", { class: "muted" }, ` (source: ${link.source})`) : ""))),
    form);
}

function editForm(record, onDone) {
  const fields = editableFields(record.kind).filter((f) => f.merge !== "immutable");
  const current = Object.fromEntries(Object.entries(record.fields).map(([name, f]) => [name, f.value]));
  const currentEntries = Object.fromEntries(Object.entries(record.fields).filter(([, f]) => f.entries).map(([name, f]) => [name, f.entries]));
  const feedback = h("div");
  const form = h("form", {
    class: "fields", id: "edit-form",
    onsubmit: async (event) => {
      event.preventDefault();
      const set = {};
      const clear = [];
      const add = {};
      const remove = {};
      for (const field of fields) {
        if (field.merge === "set") {
          // Only what this edit changed: an entry another centre added meanwhile stays.
          const before = currentEntries[field.name] || [];
          const after = listEntries(form.elements[field.name].value);
          const added = after.filter((entry) => !before.includes(entry));
          const removed = before.filter((entry) => !after.includes(entry));
          if (added.length) add[field.name] = added;
          if (removed.length) remove[field.name] = removed;
          continue;
        }
        const value = form.elements[field.name].value.trim();
        const before = current[field.name] || "";
        if (value === before) continue;
        if (value) set[field.name] = value; else clear.push(field.name);
      }
      try {
        await api("PATCH", "/api/records/" + record.id, { set, clear, add, remove });
        state.dirty = false;
        onDone();
      } catch (error) {
        feedback.replaceChildren(message("error", error.message));
        markInvalid(form, error.field);
      }
    },
  },
    fieldRows(fields, current, currentEntries),
    h("span"), h("div", { class: "actions" }, h("button", { type: "submit", id: "save" }, "Save"),
      h("button", { type: "button", class: "secondary", onclick: () => { state.dirty = false; onDone(); } }, "Cancel")));
  return h("section", { class: "card" }, h("h2", {}, "Edit"), feedback, form);
}

// ---- record page ----

async function renderRecord(view) {
  const id = view.parts[1];
  const record = await api("GET", "/api/records/" + id);
  if (record.erased) {
    return show(h("h1", {}, `Erased ${record.kind} ${short(record.id)}`),
      message("info", `Erased by ${record.erased_by} at ${time(record.erased_at)}, reason: ${record.reason}. Only this tombstone remains.`));
  }
  // The kind's column order, then anything else the record holds.
  const order = state.kinds.find((k) => k.kind === record.kind).fields.map((f) => f.name);
  const names = Object.keys(record.fields).sort((x, y) => (order.indexOf(x) + 1 || 999) - (order.indexOf(y) + 1 || 999));
  // The node's own one-line label, the same the listings and search show.
  const title = record.label || short(record.id);
  const editArea = h("div");
  const provenance = h("table", { id: "provenance" },
    h("tr", {}, h("th", {}, "Field"), h("th", {}, "Value"), h("th", {}, "Written by"), h("th", {}, "At")),
    names.filter((name) => record.fields[name].value !== null).map((name) => h("tr", { "data-field": name },
      h("td", {}, fieldLabel(name)), h("td", {}, record.fields[name].entries ? record.fields[name].entries.join("; ") : record.fields[name].value),
      h("td", { class: "by" }, record.fields[name].by),
      h("td", {}, time(record.fields[name].at)))));
  const hitForm = h("form", {
    class: "searchbar", id: "hit-form",
    onsubmit: async (event) => {
      event.preventDefault();
      await api("POST", `/api/records/${id}/hits`, { place: hitForm.elements.place.value, outcome: hitForm.elements.outcome.value });
      state.dirty = false;
      route();
    },
  }, h("input", { name: "place", placeholder: "where (border crossing)", required: true, oninput: () => { state.dirty = true; } }),
    h("input", { name: "outcome", placeholder: "outcome", required: true }), h("button", { type: "submit" }, "Record hit"));
  const noteForm = h("form", {
    class: "searchbar", id: "note-form",
    onsubmit: async (event) => {
      event.preventDefault();
      await api("POST", `/api/records/${id}/notes`, { text: noteForm.elements.text.value });
      state.dirty = false;
      route();
    },
  }, h("input", { name: "text", placeholder: "note", required: true, oninput: () => { state.dirty = true; } }), h("button", { type: "submit" }, "Add note"));
  const attachment = (list, render) => list.length === 0 ? h("p", { class: "muted" }, "None.") : h("ul", {}, list.map(render));
  const value = (item, name) => (item.fields[name] || {}).value;
  show(
    h("h1", {}, `${record.kind}: ${title}`),
    h("p", { class: "muted" }, `id ${record.id} · group ${record.group} · created at ${record.origin} on ${time(record.created_at)}`),
    h("section", { class: "card" }, h("h2", {}, "Fields and their provenance"), provenance,
      h("div", { class: "actions" },
        h("button", { type: "button", id: "edit", onclick: () => { state.dirty = true; editArea.replaceChildren(editForm(record, route)); } }, "Edit"),
        // Only the owner erases; other centres ask it to.
        state.status && record.origin !== state.status.node
          ? h("button", { type: "button", id: "ask-erasure", onclick: () => askErasure(record.id, record.origin) }, `Ask ${record.origin} to erase`)
          : h("button", { type: "button", class: "danger", id: "erase", onclick: () => eraseRecord(record.id) }, "Erase"))),
    editArea,
    linksCard(record),
    h("div", { class: "grid" },
      h("section", { class: "card" }, h("h2", {}, "Hits"),
        attachment(record.hits, (hit) => h("li", {}, `${value(hit, "place") || "?"}: ${value(hit, "outcome") || ""} `, h("span", { class: "muted" }, `(${hit.origin}, ${time(value(hit, "checked_at"))})`))),
        hitForm),
      h("section", { class: "card" }, h("h2", {}, "Notes"),
        attachment(record.notes, (note) => h("li", {}, value(note, "text"), " ", h("span", { class: "muted" }, `— ${value(note, "author")} at ${note.origin}`))),
        noteForm)),
    reviewCard(record),
    record.erasure_requests.length === 0 ? "" : h("section", { class: "card", id: "erasure-requests" }, h("h2", {}, "Erasure requests"),
      attachment(record.erasure_requests, (asked) => h("li", {}, `${asked.origin} asks: ${value(asked, "reason")}`,
        value(asked, "text") ? ` — ${value(asked, "text")}` : "", " ", h("span", { class: "muted" }, `(${value(asked, "author") || "?"}, ${time(asked.created_at)})`)))));
  await watch("/api/revision?record=" + id);
}

async function watch(path) {
  state.watch = { path, revision: (await api("GET", path)).revision };
}

async function askErasure(id, owner) {
  const reason = prompt(`Ask ${owner}, which owns this record, to erase it. Reason (for example court_order):`);
  if (!reason) return;
  try {
    await api("POST", `/api/records/${id}/erasure-requests`, { reason });
    route();
  } catch (error) {
    document.getElementById("main").prepend(message("error", error.message));
  }
}

async function eraseRecord(id) {
  const reason = prompt("Erase this record everywhere. Reason (for example person_found, retention_expired):");
  if (!reason) return;
  try {
    await api("POST", `/api/records/${id}/erase`, { reason });
    route();
  } catch (error) {
    document.getElementById("main").prepend(message("error", error.message));
  }
}

// ---- requests ----

// Information requests as Directive (EU) 2023/977 shapes them: the form of Art. 4, the copies
// of Art. 8 and 12, and the thread of the requested centre's and the requester's steps.

const urgencyLabels = {
  urgent: "urgent · unclassified",
  urgent_direct: "urgent · direct (8 hours)",
  urgent_indirect: "urgent · indirect (3 days)",
  standard: "standard (7 days)",
};

// Art. 4(4): why a request may be urgent.
const urgentGrounds = {
  public_security: "immediate and serious threat to public security",
  life_or_integrity: "imminent threat to a person's life or physical integrity",
  deprivation_of_liberty: "decision that may maintain a deprivation of liberty",
  loss_of_relevance: "the information loses its relevance if not given urgently",
};

// Art. 8: the copy to the national single point of contact, or the exception of Art. 8(3).
const spocCopies = {
  sent: "sent to the national SPOC",
  not_sent_sensitive_investigation: "not sent: highly sensitive investigation",
  not_sent_terrorism: "not sent: terrorism case",
  not_sent_safety: "not sent: safety of a person",
};

// Art. 12: the copy to Europol.
const europolCopies = { sent: "sent to Europol", not_needed: "not sent to Europol" };

// Art. 6(1): the grounds of a refusal.
const refusalGrounds = {
  a: "not available",
  b: "request does not meet Art. 4",
  c: "judicial authorisation refused",
  d: "personal data outside Art. 10(b)",
  e: "inaccurate, incomplete or out of date",
  f: "security, investigation or safety",
  g: "offence of one year or less, or none",
  h: "originating state did not consent",
};

const entryLabels = {
  classification: "Classified",
  answer: "Answer",
  partial_answer: "Partial answer",
  refusal: "Refusal",
  clarification_asked: "Clarification asked",
  clarification_given: "Clarification given",
  delay: "Delay announced",
  receipt: "Receipt",
  close: "Closed",
};

// The form's fields in the order the form asks them, with their labels.
const formLabels = {
  question: "Information sought",
  purpose: "Purpose, with the facts",
  offence: "Offence",
  availability_reasons: "Why the requested centre is believed to hold it",
  subject_relation: "How the subjects relate to the purpose",
  urgent_ground: "Urgent ground",
  urgent_reasons: "Why the urgent ground applies",
  use_restrictions: "Restrictions on use",
  language: "Language",
  requesting_authority: "Requesting authority",
  case_number: "Case number",
  spoc_copy: "Copy to the national SPOC",
  europol_copy: "Copy to Europol",
  europol_reason: "Why Europol was not copied",
};

// Where a request's clock no longer runs.
const finalStatuses = ["answered", "refused", "closed"];

function isFinal(request) { return finalStatuses.includes(request.status); }

function urgencyLabel(request) { return urgencyLabels[request.urgency_class] || request.urgency_class.replace(/_/g, " "); }

function groundLabel(letter) { return `(${letter}) ${refusalGrounds[letter] || ""}`; }

function statusBadges(request) {
  const kind = { answered: "ok", refused: "bad", closed: "" }[request.status];
  return [
    badge(kind === undefined ? "warn" : kind, request.status.replace(/_/g, " ")),
    request.paused_since && !isFinal(request) ? [" ", badge("paused", "paused")] : null,
    request.delayed_until && !isFinal(request) ? h("div", { class: "muted delayed-until" }, "delayed until " + time(request.delayed_until)) : null,
  ];
}

function countdown(request) {
  const cell = h("td", {
    class: "due countdown", "data-due": request.due_at || "", "data-status": request.status,
    "data-until": request.delayed_until || null, "data-paused": request.paused_since || null,
  });
  updateCountdown(cell);
  return cell;
}

function duration(seconds) {
  const s = Math.abs(seconds);
  return `${Math.floor(s / 86400)}d ${String(Math.floor(s % 86400 / 3600)).padStart(2, "0")}:${String(Math.floor(s % 3600 / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
}

// The time left: to the due time, or to the announced end of a delay, which overdue is then
// measured against; frozen while a clarification pauses the clock; none once answered,
// refused or closed.
function updateCountdown(cell) {
  const due = cell.dataset.due;
  const row = cell.parentElement;
  if (!due) { cell.textContent = "not yet received"; return; }
  if (finalStatuses.includes(cell.dataset.status)) { cell.textContent = "due " + time(due); return; }
  if (cell.dataset.paused) {
    const left = Math.round((new Date(due).getTime() - new Date(cell.dataset.paused).getTime()) / 1000);
    cell.textContent = `paused: ${duration(left)} ${left >= 0 ? "left" : "over"} when clarified`;
    if (row) row.classList.remove("overdue");
    return;
  }
  const deadline = cell.dataset.until || due;
  const left = Math.round((new Date(deadline).getTime() - Date.now()) / 1000);
  const text = duration(left);
  cell.textContent = (left >= 0 ? text + " left" : "OVERDUE by " + text) + (cell.dataset.until ? " (announced delay)" : "");
  if (row) row.classList.toggle("overdue", left < 0);
}

function tickCountdowns() {
  for (const cell of document.querySelectorAll("td.countdown")) updateCountdown(cell);
}

function requestRow(request) {
  const link = "#/requests/" + request.id;
  return h("tr", { "data-request": request.id, "data-status": request.status, class: request.overdue ? "overdue" : null },
    h("td", {}, request.direction === "incoming" ? `from ${request.from}` : `to ${request.to}`),
    h("td", {}, urgencyLabel(request)),
    h("td", { class: "status" }, statusBadges(request)),
    h("td", {}, h("a", { href: link, class: "question" }, request.question), request.answer ? h("div", { class: "muted" }, "Answer: " + request.answer) : null,
      h("div", {}, request.subjects.map((s) => [recordLink(s), " "]))),
    countdown(request),
    h("td", {}, h("a", { href: link, class: "open" }, "Open")));
}

function requestTable(requests, id) {
  if (requests.length === 0) return h("p", { class: "muted" }, "None.");
  return h("table", { id },
    h("tr", {}, h("th", {}, "Centre"), h("th", {}, "Urgency"), h("th", {}, "Status"), h("th", {}, "Question"), h("th", {}, "Deadline"), h("th", {}, "")),
    requests.map(requestRow));
}

// A form control in a `div.control` named by its field, where the API's message for that
// field goes (see showError).
function control(name, input) { return h("div", { class: "control", "data-field": name }, input); }

// Shows an API error by the control of the field it names, or above the form when it names
// none the form has; marks that control and clears earlier marks and messages.
function showError(form, feedback, error) {
  for (const old of form.querySelectorAll(".field-error")) old.remove();
  for (const element of form.querySelectorAll("[name]")) element.classList.toggle("invalid", element.name === error.field);
  const place = error.field ? form.querySelector(`.control[data-field="${CSS.escape(error.field)}"]`) : null;
  if (place && !place.closest("[hidden]")) {
    feedback.replaceChildren();
    const note = h("div", { class: "field-error", role: "alert" }, error.message);
    place.append(note);
    note.scrollIntoView({ block: "center" });
    const input = place.querySelector("[name]");
    if (input) input.focus();
  } else {
    feedback.replaceChildren(message("error", error.message));
    feedback.scrollIntoView({ block: "center" });
  }
}

function options(values, labels, selected, empty) {
  return [empty ? h("option", { value: "" }, empty) : null,
    values.map((v) => h("option", { value: v, selected: v === selected }, labels && labels[v] ? `${labels[v]}` : v))];
}

// The new-request form: every field of Art. 4, the urgent ones only for an urgent request,
// Europol's reason only when it was not copied. Empty fields are left out of the body, so the
// API names the first one missing.
function newRequestForm(topology) {
  const me = state.status.node;
  const others = topology.nodes.filter((n) => n.id !== me);
  const feedback = h("div", { id: "request-feedback" });
  const rows = {};
  const row = (name, label, input, required) => {
    input.id = "rq-" + name;
    input.name = name;
    const r = [h("label", { for: input.id, class: required ? "required" : null }, label), control(name, input)];
    rows[name] = r;
    return r;
  };
  const text = (attributes) => h("input", attributes || {});
  const area = (attributes) => h("textarea", attributes || {});
  const languages = h("datalist", { id: "rq-languages" });
  const to = h("select", {}, others.map((n) => h("option", { value: n.id }, n.country ? `${n.id} (${n.country})` : n.id)));
  // The topology may list each centre's languages; English is always accepted (Art. 4(6)).
  const fillLanguages = () => {
    const node = others.find((n) => n.id === to.value);
    const accepted = ["en", ...((node && node.languages) || []).filter((l) => l !== "en")];
    languages.replaceChildren(...accepted.map((l) => h("option", { value: l })));
  };
  const urgency = h("select", {}, options(["standard", "urgent"], { standard: "standard (7 days)", urgent: "urgent (8 hours or 3 days, as the requested centre classifies it)" }, "standard"));
  const europol = h("select", {}, options(Object.keys(europolCopies), europolCopies, null, "—"));
  const fit = () => {
    for (const name of ["urgent_ground", "urgent_reasons"]) for (const element of rows[name]) element.hidden = urgency.value !== "urgent";
    for (const element of rows.europol_reason) element.hidden = europol.value !== "not_needed";
  };
  const form = h("form", {
    class: "fields", id: "request-form",
    oninput: () => { state.dirty = true; },
    onchange: () => { state.dirty = true; fit(); fillLanguages(); },
    onsubmit: async (event) => {
      event.preventDefault();
      const body = {};
      for (const element of form.querySelectorAll("[name]")) {
        if (element.closest("[hidden]") || element.name === "subjects") continue;
        const value = element.value.trim();
        if (value) body[element.name] = value;
      }
      const subjects = form.elements.subjects.value.split(/[\s,]+/).filter(Boolean);
      if (subjects.length) body.subjects = subjects;
      try {
        const created = await api("POST", "/api/requests", body);
        state.dirty = false;
        state.notice = `Request ${short(created.id)} sent to ${body.to}.`;
        await route();
        const row = document.querySelector(`#outbox tr[data-request="${CSS.escape(created.id)}"]`);
        if (row) {
          row.classList.add("fresh");
          document.getElementById("main").scrollIntoView({ block: "start" });
        }
      } catch (error) {
        showError(form, feedback, error);
      }
    },
  },
    row("to", "To centre", to, true),
    row("group", "Sharing group", h("select", {}, options(myGroups(), null, null, "the smallest holding both centres"))),
    row("urgency", "Urgency", urgency, true),
    row("urgent_ground", "Urgent ground (Art. 4(4))", h("select", {}, options(Object.keys(urgentGrounds), urgentGrounds, null, "—")), true),
    row("urgent_reasons", "Why the urgent ground applies", area(), true),
    row("question", formLabels.question, area(), true),
    row("purpose", formLabels.purpose, area(), true),
    row("offence", formLabels.offence, text(), true),
    row("availability_reasons", formLabels.availability_reasons, area(), true),
    row("subjects", "Subject record ids", text({ placeholder: "ids, separated by spaces" })),
    row("subject_relation", formLabels.subject_relation, text({ placeholder: "required with subjects" })),
    row("use_restrictions", formLabels.use_restrictions, text()),
    row("language", "Language (ISO 639-1)", text({ value: "en", list: "rq-languages", maxlength: 2, class: "short" }), true),
    row("requesting_authority", formLabels.requesting_authority, text(), true),
    row("case_number", formLabels.case_number, text(), true),
    row("spoc_copy", formLabels.spoc_copy + " (Art. 8)", h("select", {}, options(Object.keys(spocCopies), spocCopies, null, "—")), true),
    row("europol_copy", formLabels.europol_copy + " (Art. 12)", europol, true),
    row("europol_reason", formLabels.europol_reason, text(), true),
    languages,
    h("span"), h("div", { class: "actions" }, h("button", { type: "submit", id: "send-request" }, "Send request")));
  fit();
  fillLanguages();
  return [feedback, form];
}

async function renderRequests(view) {
  if (view.parts[1]) return renderRequest(view.parts[1]);
  const requests = await api("GET", "/api/requests");
  const topology = await api("GET", "/api/topology");
  const notice = state.notice;
  state.notice = null;
  show(
    h("h1", {}, "Requests"),
    notice ? message("info", notice) : null,
    h("section", { class: "card" }, h("h2", {}, "Inbox"), requestTable(requests.filter((r) => r.direction === "incoming"), "inbox")),
    h("section", { class: "card" }, h("h2", {}, "Outbox"), requestTable(requests.filter((r) => r.direction === "outgoing"), "outbox")),
    h("section", { class: "card" }, h("h2", {}, "New request"),
      h("p", { class: "muted" }, "The content Art. 4 of Directive (EU) 2023/977 requires; fields marked * are required."),
      newRequestForm(topology)));
  await watch("/api/revision?kind=request");
}

// One step of the thread: the centre's action as a small form. On success the page is drawn
// again; an error shows by the field it names.
function actionForm(id, title, controls, submit) {
  const feedback = h("div");
  const form = h("form", {
    class: "action", id,
    oninput: () => { state.dirty = true; },
    onchange: () => { state.dirty = true; },
    onsubmit: async (event) => {
      event.preventDefault();
      try {
        await submit(form, event.submitter);
        state.dirty = false;
        await route();
        // The step just taken, in view.
        const last = document.querySelector("#thread tr:last-child");
        if (last) last.scrollIntoView({ block: "center" });
      } catch (error) {
        showError(form, feedback, error);
      }
    },
  }, h("h3", {}, title), feedback, controls);
  return form;
}

// The actions that fit the viewer's side of the request and where it stands.
function requestActions(request) {
  const path = `/api/requests/${request.id}/`;
  const forms = [];
  if (request.status === "closed") return [h("p", { class: "muted" }, "Closed: nothing in it changes any more.")];
  if (request.direction === "incoming") {
    if (isFinal(request)) return [h("p", { class: "muted" }, `This centre has ${request.status} it; the requesting centre closes it.`)];
    if (request.urgency === "urgent") {
      const classified = request.urgency_class !== "urgent";
      forms.push(actionForm("classify-form", classified ? "Correct the classification" : "Classify (Art. 5(1))",
        [h("p", { class: "muted" }, classified ? `Now ${urgencyLabel(request)}.` : "Unclassified: 8 hours run meanwhile."),
          h("div", { class: "actions" },
            h("button", { type: "submit", name: "access", value: "direct", id: "classify-direct" }, "Directly accessible: 8 hours"),
            h("button", { type: "submit", name: "access", value: "indirect", id: "classify-indirect", class: "secondary" }, "Indirectly accessible: 3 days"))],
        (form, button) => api("POST", path + "classify", { access: button.value })));
    }
    forms.push(actionForm("answer-form", "Answer",
      [control("text", h("textarea", { name: "text", placeholder: "the information provided" })),
        h("div", { class: "actions" },
          h("button", { type: "submit", value: "whole", id: "answer" }, "Answer"),
          h("button", { type: "submit", value: "partial", id: "partial-answer", class: "secondary" }, "Partial answer"))],
      (form, button) => api("POST", path + "answer", { text: form.elements.text.value, partial: button.value === "partial" })));
    forms.push(actionForm("refuse-form", "Refuse (Art. 6)",
      [control("extent", h("select", { name: "extent", "aria-label": "extent" },
        h("option", { value: "whole" }, "refuse as a whole"), h("option", { value: "partial" }, "refuse in part"))),
        control("grounds", h("fieldset", { class: "grounds" }, h("legend", {}, "Grounds of Art. 6(1)"),
          Object.entries(refusalGrounds).map(([letter, summary]) => h("label", {},
            h("input", { type: "checkbox", name: "grounds", value: letter, id: "ground-" + letter }), ` (${letter}) ${summary}`)))),
        control("reasons", h("textarea", { name: "reasons", placeholder: "the reasons (Art. 6(3))" })),
        h("div", { class: "actions" }, h("button", { type: "submit", class: "danger", id: "refuse" }, "Refuse"))],
      (form) => api("POST", path + "refuse", {
        extent: form.elements.extent.value,
        grounds: [...form.querySelectorAll("input[name=grounds]:checked")].map((box) => box.value),
        reasons: form.elements.reasons.value,
      })));
    if (!request.paused_since) {
      forms.push(actionForm("ask-clarification-form", "Ask for clarification",
        [h("p", { class: "muted" }, "The clock pauses until the clarification arrives."),
          control("text", h("textarea", { name: "text", placeholder: "what needs clarifying" })),
          h("div", { class: "actions" }, h("button", { type: "submit", class: "secondary", id: "ask-clarification" }, "Ask"))],
        (form) => api("POST", path + "ask-clarification", { text: form.elements.text.value })));
    }
    forms.push(actionForm("delay-form", "Announce a delay (Art. 5(2))",
      [control("reason", h("input", { name: "reason", placeholder: "judicial authorisation needed: why" })),
        h("label", { class: "inline" }, "Expected end ", control("until", h("input", { name: "until", type: "datetime-local" }))),
        h("div", { class: "actions" }, h("button", { type: "submit", class: "secondary", id: "delay" }, "Announce delay"))],
      (form) => {
        const until = form.elements.until.value ? new Date(form.elements.until.value) : null;
        return api("POST", path + "delay", {
          reason: form.elements.reason.value,
          until: until && !isNaN(until) ? until.toISOString().replace(/\.\d{3}Z$/, "Z") : form.elements.until.value,
        });
      }));
  } else {
    if (request.status === "clarification_requested") {
      forms.push(actionForm("clarify-form", `Clarify for ${request.to}`,
        [control("text", h("textarea", { name: "text", placeholder: "the clarification" })),
          h("div", { class: "actions" }, h("button", { type: "submit", id: "clarify" }, "Send clarification"))],
        (form) => api("POST", path + "clarify", { text: form.elements.text.value })));
    }
    forms.push(actionForm("close-form", "Close",
      [h("p", { class: "muted" }, "Nothing in the request changes once it is closed."),
        h("div", { class: "actions" }, h("button", { type: "submit", class: "secondary", id: "close-request" }, "Close the request"))],
      () => api("POST", path + "close")));
  }
  return forms;
}

function entryDetails(entry) {
  switch (entry.type) {
    case "classification":
      return `${entry.access || "?"} access: due ${time(entry.due_at)}`;
    case "refusal":
      return [h("div", {}, entry.extent === "whole" ? "refused as a whole" : "refused in part", " on grounds:"),
        h("ul", { class: "grounds" }, entry.grounds.map((g) => h("li", { "data-ground": g }, groundLabel(g)))),
        entry.text ? h("div", { class: "entry-text" }, entry.text) : null];
    case "delay":
      return [h("div", { class: "entry-text" }, entry.text || ""), h("div", { class: "muted" }, "expected end " + time(entry.until))];
    default:
      return entry.text ? h("div", { class: "entry-text" }, entry.text) : null;
  }
}

// The thread, oldest first; a receipt is shown only as a note on the entry it notes.
function threadTable(request) {
  const receipts = {};
  for (const entry of request.entries) if (entry.type === "receipt" && entry.entry_id) receipts[entry.entry_id] = entry;
  const shown = request.entries.filter((e) => e.type !== "receipt");
  if (shown.length === 0) return h("p", { class: "muted", id: "thread" }, "No steps yet.");
  return h("table", { id: "thread" },
    h("tr", {}, h("th", {}, "At"), h("th", {}, "Centre"), h("th", {}, "Step"), h("th", {}, "")),
    shown.map((entry) => {
      const receipt = receipts[entry.id];
      return h("tr", { "data-entry": entry.id, "data-type": entry.type },
        h("td", {}, time(entry.at)), h("td", {}, entry.author),
        h("td", {}, entryLabels[entry.type] || entry.type),
        h("td", {}, entryDetails(entry),
          receipt ? h("div", { class: "muted receipt" }, `reached ${receipt.author} at ${time(receipt.received_at)}`) : null));
    }));
}

async function renderRequest(id) {
  const request = await api("GET", "/api/requests/" + id);
  const incoming = request.direction === "incoming";
  const fact = (label, ...value) => h("tr", {}, h("th", { scope: "row" }, label), h("td", {}, ...value));
  const choice = (name, value) => {
    const labels = { urgent_ground: urgentGrounds, spoc_copy: spocCopies, europol_copy: europolCopies }[name];
    return labels && labels[value] ? [labels[value], " ", h("span", { class: "muted mono" }, value)] : value;
  };
  const deadline = h("tr", { class: request.overdue ? "overdue" : null }, h("th", { scope: "row" }, "Deadline"), countdown(request));
  show(
    h("p", {}, h("a", { href: "#/requests" }, "← Requests")),
    h("h1", {}, incoming ? `Request from ${request.from}` : `Request to ${request.to}`),
    h("div", { class: "grid" },
      h("div", {}, h("section", { class: "card" }, h("h2", {}, "Where it stands"),
        h("table", { id: "request-facts", class: "facts" },
          fact("Status", h("span", { "data-status": request.status, id: "request-status" }, statusBadges(request))),
          fact("Urgency", urgencyLabel(request), request.urgency !== request.urgency_class ? h("span", { class: "muted" }, ` (sent as ${request.urgency})`) : null),
          fact("Centres", `${request.from} → ${request.to}`, h("span", { class: "muted" }, ` · group ${request.group}`)),
          fact("Held by", h("span", { id: "request-holder", "data-holder": request.holder || "" },
            request.holder ? `${request.holder} since ${time(request.held_since)}` : badge(request.urgency_class === "standard" ? "warn" : "bad", "not taken")),
            holderActions(request)),
          fact("Received", time(request.received_at)),
          fact("Due", time(request.due_at)),
          deadline,
          request.paused_since ? fact("Paused since", time(request.paused_since)) : null,
          fact("Subjects", request.subjects.length ? request.subjects.map((s) => [recordLink(s), " "]) : h("span", { class: "muted" }, "none")),
          // What this centre holds that may be the same as a subject, strongest first.
          (request.subject_matches || []).length === 0 ? null : fact("Held here",
            h("ul", { id: "subject-matches" }, request.subject_matches.flatMap((subject) => subject.matches.map((match) =>
              h("li", {}, recordLink(match.id, match.label), h("span", { class: "muted" }, ` (${match.reason}; owned by ${match.origin})`)))))))),
        h("section", { class: "card" }, h("h2", {}, "Thread"), threadTable(request))),
      h("section", { class: "card", id: "request-actions" }, h("h2", {}, "Actions"), requestActions(request))),
    h("section", { class: "card" }, h("h2", {}, "The request (Art. 4)"),
      h("table", { id: "request-form-view", class: "facts" },
        fact(formLabels.question, request.question),
        Object.keys(formLabels).filter((name) => name !== "question" && request.form[name]).map((name) =>
          h("tr", { "data-field": name }, h("th", { scope: "row" }, formLabels[name]), h("td", {}, choice(name, request.form[name])))))),
    h("p", { class: "muted mono" }, `id ${request.id}`));
  await watch("/api/revision?record=" + id);
}

// Take the request, or hand it to a colleague: only where this centre must act on it.
function holderActions(request) {
  const waits = request.direction === "incoming"
    ? ["sent", "received", "delayed", "partially_answered"].includes(request.status)
    : request.status === "clarification_requested";
  if (!waits) return null;
  const feedback = h("span");
  const colleague = h("input", { name: "to", placeholder: "colleague", "aria-label": "colleague", size: 12 });
  const act = (path, body) => async (event) => {
    event.preventDefault();
    try {
      await api("POST", `/api/requests/${request.id}/${path}`, body && body());
      await route();
    } catch (error) { feedback.replaceChildren(message("error", error.message)); }
  };
  return h("span", {},
    request.holder === state.me.name ? null : h("button", { type: "button", id: "take-request", onclick: act("take") }, "Take"),
    h("form", { id: "hand-form", class: "inline", onsubmit: act("hand", () => ({ to: colleague.value.trim() })) },
      colleague, h("button", { type: "submit" }, "Hand over")),
    feedback);
}

// ---- shift handover ----

// What this centre must act on, most urgent first, with who holds each; the incoming operator
// takes over everything listed, or some items, in one step (audited).
async function renderHandover() {
  const handover = await api("GET", "/api/handover");
  const feedback = h("div");
  const chosen = new Set();
  const rows = handover.items.map((item) => {
    const r = item.request;
    const box = h("input", { type: "checkbox", "aria-label": "take over " + r.id, onchange: (e) => e.target.checked ? chosen.add(r.id) : chosen.delete(r.id) });
    return h("tr", { "data-id": r.id, class: r.overdue ? "overdue" : item.due_soon ? "due-soon" : null },
      h("td", {}, box),
      h("td", {}, h("a", { href: "#/requests/" + r.id }, r.question)),
      h("td", {}, r.direction === "incoming" ? `from ${r.from}` : `to ${r.to}`),
      h("td", {}, urgencyLabel(r)), h("td", {}, statusBadges(r)),
      h("td", {}, countdown(r), item.due_soon ? [" ", badge("warn", `within ${handover.hours} h`)] : null),
      h("td", { class: "holder" }, r.holder || badge(r.urgency_class === "standard" ? "warn" : "bad", "not taken")));
  });
  const accept = async (ids) => {
    if (ids.length === 0) { feedback.replaceChildren(message("error", "Choose what you take over.")); return; }
    try {
      await api("POST", "/api/handover/accept", { ids });
      await route();
    } catch (error) { feedback.replaceChildren(message("error", error.message)); }
  };
  show(
    h("h1", {}, "Shift handover"),
    h("p", { class: "muted" }, `What ${state.status.node} must act on; due within ${handover.hours} hours marked. Taking over is audited.`),
    handover.items.length === 0 ? h("p", { id: "handover-empty", class: "muted" }, "Nothing waits for this centre.") :
      h("table", { id: "handover", class: "records" },
        h("tr", {}, h("th", {}, ""), h("th", {}, "Request"), h("th", {}, "Centre"), h("th", {}, "Urgency"), h("th", {}, "Status"), h("th", {}, "Deadline"), h("th", {}, "Held by")),
        rows),
    handover.items.length === 0 ? null : h("p", {},
      h("button", { type: "button", id: "accept-chosen", onclick: () => accept([...chosen]) }, "Take over the chosen"), " ",
      h("button", { type: "button", id: "accept-all", onclick: () => accept(handover.items.filter((i) => i.request.holder !== state.me.name).map((i) => i.request.id)) },
        "Take over everything")),
    feedback);
}

// ---- reviews ----

// Reviews of personal data (Directive (EU) 2016/680 Art. 5; Directive (EU) 2023/977 Art. 16):
// the owner's staff keep a record due for review until a day, with the reason it is still
// needed, or erase it. Only the owner's decisions count.

const reviewBases = {
  created: "its kind's period since it was created",
  request_closed: "a request about it was closed",
  kept: "the day a review kept it until",
};

function isoDay(date) {
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, "0")}-${String(date.getDate()).padStart(2, "0")}`;
}

// The owner's last decision to keep `record` (the `review` attached to it), or null. Reviews
// appended by other centres do not count; the last by its stamp does, as at the API.
function lastKept(record) {
  const stamp = (review) => BigInt((review.fields.keep_until || {}).hlc || "0");
  const own = (record.reviews || []).filter((review) => review.origin === record.origin)
    .sort((x, y) => (stamp(x) < stamp(y) ? -1 : stamp(x) > stamp(y) ? 1 : x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  return own.length ? own[own.length - 1] : null;
}

// The form that keeps record `id` until a day, with the reason; the API judges the day (after
// today, within the kind's review period), and its message shows by the field it names.
function keepForm(id, onKept, attributes) {
  const feedback = h("div");
  const tomorrow = new Date();
  tomorrow.setDate(tomorrow.getDate() + 1);
  const form = h("form", {
    class: "keep", novalidate: true, "data-record": id, ...attributes,
    oninput: () => { state.dirty = true; },
    onsubmit: async (event) => {
      event.preventDefault();
      const until = form.elements.until.value;
      try {
        await api("POST", `/api/records/${id}/keep`, { until, reason: form.elements.reason.value.trim() });
        state.dirty = false;
        await onKept(until);
      } catch (error) {
        showError(form, feedback, error);
      }
    },
  }, feedback,
    h("label", { class: "inline" }, "Keep until", control("until", h("input", { name: "until", type: "date", min: isoDay(tomorrow), "aria-label": "keep until" }))),
    control("reason", h("input", { name: "reason", placeholder: "why it is still needed", "aria-label": "reason" })),
    h("button", { type: "submit", class: "secondary" }, "Keep"));
  return form;
}

// Erasure at review, with a confirmation step: the first click asks, the second erases.
function eraseAtReview(review) {
  const feedback = h("div");
  const ask = h("button", { type: "button", class: "danger erase" }, "Erase (retention expired)");
  const confirmation = h("div", { class: "confirm-erase", hidden: true },
    `Erase ${review.label || short(review.id)} at every centre of group ${review.group}? Only a tombstone remains.`,
    h("div", { class: "actions" },
      h("button", {
        type: "button", class: "danger confirm",
        onclick: async () => {
          try {
            await api("POST", `/api/records/${review.id}/erase`, { reason: "retention_expired" });
            state.notice = `Erased ${review.label || short(review.id)} (retention expired).`;
            await route();
          } catch (error) {
            feedback.replaceChildren(message("error", error.message));
          }
        },
      }, "Erase it"),
      h("button", { type: "button", class: "secondary cancel", onclick: () => { confirmation.hidden = true; ask.hidden = false; } }, "Cancel")));
  ask.addEventListener("click", () => { ask.hidden = true; confirmation.hidden = false; });
  return h("div", {}, feedback, ask, confirmation);
}

// On a record's page: the owner's last decision to keep it, and for a record this centre
// owns, the form to keep it (before it falls due too).
function reviewCard(record) {
  const kept = lastKept(record);
  const value = (name) => (kept.fields[name] || {}).value || "";
  const mine = state.status && record.origin === state.status.node;
  return h("section", { class: "card", id: "review" }, h("h2", {}, "Review"),
    kept ? h("p", { class: "kept", id: "kept" }, `kept until ${value("keep_until")}: ${value("reason")} `,
      h("span", { class: "muted" }, `(${kept.origin}, ${time(kept.created_at)})`))
      : h("p", { class: "muted", id: "kept" }, "No review has kept it yet."),
    mine ? keepForm(record.id, () => route(), { id: "keep-form" })
      : h("p", { class: "muted" }, `Reviewed at ${record.origin}, which owns it.`));
}

function reviewTable(reviews) {
  if (reviews.length === 0) return h("p", { class: "muted", id: "reviews-empty" }, "No record is due for review.");
  return h("table", { id: "reviews" },
    h("tr", {}, h("th", {}, "Record"), h("th", {}, "Kind"), h("th", {}, "Group"), h("th", {}, "Due"), h("th", {}, "Because"), h("th", {}, "Kept because"), h("th", {}, "Decision")),
    reviews.map((review) => h("tr", { "data-record": review.id, "data-basis": review.basis },
      h("td", {}, review.kind === "request" ? h("a", { href: "#/requests/" + review.id }, review.label || short(review.id)) : recordLink(review.id, review.label)),
      h("td", {}, review.kind), h("td", {}, review.group),
      h("td", { class: "due" }, time(review.review_at)),
      h("td", {}, reviewBases[review.basis] || review.basis),
      h("td", { class: "kept-reason" }, review.kept_reason || h("span", { class: "muted" }, "—")),
      h("td", { class: "decision" },
        keepForm(review.id, (until) => { state.notice = `Kept ${review.label || short(review.id)} until ${until}.`; return route(); }),
        eraseAtReview(review)))));
}

async function renderReviews() {
  const reviews = await api("GET", "/api/reviews");
  const notice = state.notice;
  state.notice = null;
  show(
    h("h1", {}, "Reviews"),
    h("p", { class: "muted" }, "Records this centre owns that are due for review, oldest first: keep each until a day, with the reason it is still needed, or erase it."),
    notice ? message("info", notice) : null,
    h("section", { class: "card" }, reviewTable(reviews)));
}

// ---- reports ----

// The yearly report of Art. 18: what this centre sent, received, answered, refused and
// delayed, by country, and how quickly requests were answered.
async function renderReports(view) {
  const year = view.params.get("year") || String(new Date().getFullYear());
  const yearInput = h("input", { id: "report-year", class: "year", type: "number", min: "2000", max: "9999", value: year });
  const feedback = h("div", { id: "report-feedback" });
  const form = h("form", {
    class: "searchbar", id: "report-form",
    onsubmit: (event) => {
      event.preventDefault();
      const target = "#/reports?year=" + encodeURIComponent(yearInput.value.trim());
      if (location.hash === target) route(); else location.hash = target;
    },
  }, h("label", { for: "report-year" }, "Year"), yearInput, h("button", { type: "submit", id: "report-show" }, "Show"),
    h("button", {
      type: "button", class: "secondary", id: "report-csv",
      onclick: async () => {
        try {
          await download(`/api/reports/requests?year=${encodeURIComponent(year)}&format=csv`, `requests-${state.status.node}-${year}.csv`);
        } catch (error) {
          feedback.replaceChildren(message("error", error.message));
        }
      },
    }, "Download CSV"));
  let report = null;
  try {
    report = await api("GET", "/api/reports/requests?year=" + encodeURIComponent(year));
  } catch (error) {
    if (error.code === "unauthenticated") return;
    feedback.replaceChildren(message("error", error.message));
  }
  const title = h("h1", {}, "Report on information requests (Art. 18)");
  if (!report) return show(title, form, feedback);
  const urgency = (u) => urgencyLabels[u] || u;
  const table = (id, headers, rows) => rows.length === 0 ? h("p", { class: "muted", id }, "None.") :
    h("table", { id, class: "report" }, h("tr", {}, headers.map((name) => h("th", {}, name))), rows);
  // Received and answered, one row per country and urgency.
  const answered = Object.fromEntries(report.answered.map((c) => [c.country + "|" + c.category, c.count]));
  const percent = (part, whole) => whole ? `${Math.round(100 * part / whole)} %` : "—";
  show(title, form, feedback,
    h("p", { class: "muted" }, `Centre ${report.node}, ${report.year}: a request counts in the year it was sent (sent) or received (every other table).`),
    h("div", { class: "grid halves" },
      h("section", { class: "card" }, h("h2", {}, "Requests sent"),
        table("report-sent", ["Requested country", "Urgency", "Requests"], report.sent.map((c) =>
          h("tr", { "data-country": c.country, "data-category": c.category }, h("td", {}, c.country), h("td", {}, urgency(c.category)), h("td", { class: "number" }, c.count))))),
      h("section", { class: "card" }, h("h2", {}, "Requests received and answered"),
        table("report-received", ["Requesting country", "Urgency", "Received", "Answered"], report.received.map((c) =>
          h("tr", { "data-country": c.country, "data-category": c.category }, h("td", {}, c.country), h("td", {}, urgency(c.category)),
            h("td", { class: "number" }, c.count), h("td", { class: "number" }, answered[c.country + "|" + c.category] || 0))))),
      h("section", { class: "card" }, h("h2", {}, "Refusals by ground (Art. 6(1))"),
        h("p", { class: "muted" }, "Whole and partial refusals; a request refused on two grounds counts under each."),
        table("report-refused", ["Requesting country", "Ground", "Requests"], report.refused.map((c) =>
          h("tr", { "data-country": c.country, "data-category": c.category }, h("td", {}, c.country), h("td", {}, groundLabel(c.category)), h("td", { class: "number" }, c.count))))),
      h("section", { class: "card" }, h("h2", {}, "Answers delayed for judicial authorisation"),
        table("report-delayed", ["Requesting country", "Requests"], report.delayed.map((c) =>
          h("tr", { "data-country": c.country, "data-category": c.category }, h("td", {}, c.country), h("td", { class: "number" }, c.count)))))),
    h("section", { class: "card" }, h("h2", {}, "Timeliness"),
      h("p", { class: "muted" }, "From receipt to the first answer or whole refusal, clarifications' pauses left out."),
      table("report-timeliness", ["Requests", "Urgency", "Responded", "On time", "On-time rate", "Median (minutes)"], report.timeliness.map((t) =>
        h("tr", { "data-direction": t.direction, "data-category": t.urgency },
          h("td", {}, t.direction === "received" ? "received (answered here)" : "sent (answered elsewhere)"), h("td", {}, urgency(t.urgency)),
          h("td", { class: "number" }, t.responded), h("td", { class: "number" }, t.on_time), h("td", { class: "number" }, percent(t.on_time, t.responded)),
          h("td", { class: "number" }, t.median_minutes === null || t.median_minutes === undefined ? "—" : t.median_minutes.toFixed(1)))))));
}

// Fetches `path` with the token (a header, not a cookie, so a plain link cannot) and offers
// it as a file.
async function download(path, filename) {
  const headers = { Authorization: "Bearer " + state.token };
  const purpose = purposeHeader();
  if (purpose) headers["PCCC-Purpose"] = purpose;
  const response = await fetch(path, { headers });
  if (!response.ok) {
    const text = await response.text();
    let error = null;
    try { error = JSON.parse(text).error; } catch (ignored) { /* not JSON */ }
    throw new APIError((error && error.code) || "internal", (error && error.message) || response.statusText, error && error.field);
  }
  const url = URL.createObjectURL(await response.blob());
  const link = h("a", { href: url, download: filename, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// ---- topology ----

async function renderTopology() {
  const topology = await api("GET", "/api/topology");
  const status = state.status;
  const me = status.node;
  const health = Object.fromEntries(status.peers.map((p) => [p.peer, p.connected]));
  const width = 900, height = 560, radius = 200, cx = width / 2, cy = height / 2;
  const position = {};
  topology.nodes.forEach((node, index) => {
    const angle = -Math.PI / 2 + (2 * Math.PI * index) / topology.nodes.length;
    position[node.id] = [cx + radius * Math.cos(angle), cy + radius * Math.sin(angle)];
  });
  const lines = topology.links.map((link) => {
    const [x1, y1] = position[link.from], [x2, y2] = position[link.to];
    const peer = link.from === me ? link.to : link.to === me ? link.from : null;
    const kind = peer === null ? "remote" : health[peer] ? "up" : "down";
    return svg("line", { x1, y1, x2, y2, class: kind, "data-link": `${link.from}-${link.to}` },
      svg("title", {}, `${link.from} dials ${link.to}: ${kind === "remote" ? "not observed from this node" : kind}`));
  });
  const nodes = topology.nodes.map((node) => {
    const [x, y] = position[node.id];
    return svg("g", { class: node.id === me ? "node me" : "node" },
      svg("circle", { cx: x, cy: y, r: 50 }),
      svg("text", { x, y: y + 4, "text-anchor": "middle", class: "name" }, node.id.length > 16 ? node.id.slice(0, 15) + "…" : node.id),
      svg("text", { x, y: y + 66, "text-anchor": "middle", class: "address" }, node.address),
      svg("title", {}, node.id));
  });
  const groups = h("table", {}, h("tr", {}, h("th", {}, "Group"), h("th", {}, "Members"), h("th", {}, "Reachable from here")),
    topology.groups.map((g) => {
      const mine = status.groups.find((s) => s.group === g.group);
      return h("tr", {}, h("td", {}, g.group), h("td", {}, g.members.join(", ")),
        h("td", {}, !mine ? h("span", { class: "muted" }, "not a member") : mine.unreachable.length ? badge("bad", "no path to " + mine.unreachable.join(", ")) : badge("ok", "all members")));
    }));
  show(h("h1", {}, `Topology of ${topology.network}`),
    h("section", { class: "card" },
      svg("svg", { class: "topology", viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": "topology" }, lines, nodes),
      h("p", { class: "legend" }, [["up", "link up"], ["down", "link down"], ["remote", "link between other centres (not observed from here)"]].map(([kind, text]) =>
        h("span", {}, svg("svg", { width: 36, height: 10, class: "topology-key" }, svg("line", { x1: 0, y1: 5, x2: 36, y2: 5, class: kind })), " " + text)))),
    h("section", { class: "card" }, h("h2", {}, "Groups"), groups));
}

// ---- audit ----

async function renderAudit(view) {
  const user = view.params.get("user") || "";
  const params = new URLSearchParams({ limit: "200" });
  if (user) params.set("user", user);
  const entries = await api("GET", "/api/audit?" + params.toString());
  const verdict = h("div", { id: "verify-result" });
  const userInput = h("input", { value: user, placeholder: "user" });
  show(h("h1", {}, "Audit log"),
    h("form", {
      class: "searchbar",
      onsubmit: (event) => { event.preventDefault(); location.hash = "#/audit" + (userInput.value ? "?user=" + encodeURIComponent(userInput.value) : ""); },
    }, userInput, h("button", { type: "submit" }, "Filter"),
      h("button", {
        type: "button", class: "secondary", id: "verify",
        onclick: async () => {
          const result = await api("GET", "/api/audit/verify");
          verdict.replaceChildren(result.intact ? message("info", `Intact: ${result.entries} entries, every hash checks.`) : message("error", `Broken at entry ${result.first_bad_entry}: ${result.reason}`));
        },
      }, "Verify the chain")),
    verdict,
    h("section", { class: "card" }, h("table", { id: "audit" },
      h("tr", {}, h("th", {}, "#"), h("th", {}, "At"), h("th", {}, "User"), h("th", {}, "Action"), h("th", {}, "Records"), h("th", {}, "Purpose"), h("th", {}, "Detail")),
      entries.map((e) => h("tr", {}, h("td", {}, e.seq), h("td", {}, time(e.at)), h("td", {}, e.user), h("td", {}, e.action),
        h("td", {}, e.records.slice(0, 3).map((r) => [recordLink(r), " "]), e.records.length > 3 ? `+${e.records.length - 3}` : ""),
        h("td", {}, e.purpose || ""), h("td", { class: "muted" }, e.detail || ""))))));
}

// ---- live updates ----

// Polls the node's status. The dashboard's status part and the topology follow it at once;
// a record page or the requests are consulted again only when what they show changed.
// Nothing is redrawn while the user is typing in a form.
async function poll() {
  if (!state.me || !state.status) return;
  const light = document.getElementById("live");
  try {
    const status = await api("GET", "/api/status", undefined, true);
    light.className = "on";
    light.title = "live: updated " + new Date().toLocaleTimeString("en-GB");
    const changed = state.version !== null && status.version !== state.version;
    const peersChanged = JSON.stringify(status.peers.map((p) => [p.peer, p.connected, p.lag])) !== JSON.stringify(state.status.peers.map((p) => [p.peer, p.connected, p.lag]));
    const levels = (s) => JSON.stringify((s.certificates || []).map((c) => [c.certificate, c.serial, c.level]));
    const certificatesChanged = levels(status) !== levels(state.status);
    state.status = status;
    state.version = status.version;
    if (state.dirty) return;
    const view = currentView().name;
    const cards = document.getElementById("status-cards");
    // A record falls due with time alone, so the count is asked again, but once a minute: it
    // reads every record this centre owns.
    let reviewsChanged = false;
    if (view === "dashboard" && cards && Date.now() - (state.reviewsAskedAt || 0) >= 60000) {
      state.reviewsAskedAt = Date.now();
      const due = (await api("GET", "/api/reviews/count", undefined, true)).due;
      reviewsChanged = due !== state.reviewsDue;
      state.reviewsDue = due;
    }
    // Urgent requests nobody holds stay highlighted on every open dashboard until one is taken:
    // asked when a batch arrived, and every 10 s for a colleague's take at another desk.
    let unheldChanged = false;
    if (view === "dashboard" && cards && (changed || Date.now() - (state.unheldAskedAt || 0) >= 10000)) {
      state.unheldAskedAt = Date.now();
      const unheld = (await api("GET", "/api/handover/count", undefined, true)).unheld_urgent;
      unheldChanged = unheld !== state.unheldUrgent;
      state.unheldUrgent = unheld;
    }
    if (view === "dashboard" && cards && (changed || peersChanged || certificatesChanged || reviewsChanged || unheldChanged)) {
      cards.replaceWith(statusCards(status));
    } else if (view === "topology" && (changed || peersChanged)) {
      await route();
    } else if (changed && state.watch) {
      const watched = state.watch;
      const revision = (await api("GET", watched.path, undefined, true)).revision;
      if (state.watch === watched && revision !== watched.revision) await route();
    }
  } catch (error) {
    light.className = "off";
    light.title = "cannot reach the node: " + error.message;
  }
}

async function start() {
  state.status = await api("GET", "/api/status");
  state.version = state.status.version;
  state.kinds = await api("GET", "/api/kinds");
  await loadCaseNumbers();
  renderBar();
  if (!location.hash) location.hash = "#/";
  await route();
}

window.addEventListener("hashchange", route);
window.addEventListener("DOMContentLoaded", async () => {
  document.getElementById("sign-out").addEventListener("click", () => signOut());
  // The purpose lasts as long as the tab's session, so a reload keeps it.
  document.getElementById("purpose").value = sessionStorage.getItem("pccc-purpose") || "";
  document.getElementById("purpose").addEventListener("change", (event) => {
    sessionStorage.setItem("pccc-purpose", event.target.value.trim());
    event.target.classList.remove("needed");
    if (document.getElementById("purpose-needed")) route();
  });
  setInterval(poll, 2000);
  setInterval(tickCountdowns, 1000);
  if (!state.token) return renderSignIn();
  try {
    state.me = await api("GET", "/api/me");
    await start();
  } catch (error) {
    forgetSession(error.code === "unauthenticated" ? "Signed out: " + error.message + "." : error.message);
  }
});
