// PCCC Sync web UI: a single page over the node's /api. No build step, no dependencies.
// Every value from the API is put in the page as text (never as HTML).
"use strict";

// `watch`: what the current page consulted, and its revision; the page is consulted again
// (and audited again) only when that revision moves.
const state = { token: sessionStorage.getItem("pccc-token"), me: null, status: null, kinds: null, version: null, dirty: false, watch: null, overdue: [] };

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

async function api(method, path, body) {
  const headers = { Authorization: "Bearer " + state.token };
  const purpose = document.getElementById("purpose").value.trim();
  if (purpose) headers["PCCC-Purpose"] = purpose;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (response.status === 401 && state.me) {
    signOut("Your token is no longer valid; sign in again.");
    throw new APIError("unauthenticated", "sign in again", null);
  }
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const error = (data && data.error) || { code: "internal", message: response.statusText, field: null };
    throw new APIError(error.code, error.message, error.field);
  }
  return data;
}

function show(...content) {
  const main = document.getElementById("main");
  main.replaceChildren(...content);
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

function signOut(reason) {
  state.token = null;
  state.me = null;
  sessionStorage.removeItem("pccc-token");
  renderBar();
  renderSignIn(reason);
}

function renderSignIn(reason) {
  const input = h("input", { id: "token", type: "password", autocomplete: "off", placeholder: "pccc_…", "aria-label": "token" });
  const feedback = h("div");
  if (reason) feedback.append(message("error", reason));
  const form = h("form", {
    id: "signin-form",
    onsubmit: async (event) => {
      event.preventDefault();
      state.token = input.value.trim();
      try {
        state.me = await api("GET", "/api/me");
      } catch (error) {
        state.token = null;
        feedback.replaceChildren(message("error", error.code === "unauthenticated" ? "That token is not valid on this node." : error.message));
        return;
      }
      sessionStorage.setItem("pccc-token", state.token);
      await start();
    },
  },
    h("label", { for: "token" }, "Token"), input,
    h("button", { type: "submit", id: "signin" }, "Sign in"));
  show(h("section", { class: "card signin" },
    h("h1", {}, "Sign in"),
    h("p", { class: "muted" }, "An admin makes your token on this node with: pccc users token YOUR-NAME"),
    form, feedback));
  input.focus();
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
    if (error.code !== "unauthenticated") show(message("error", error.message));
  }
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
    h("div", { class: "grid" },
      h("section", { class: "card" }, h("h2", {}, "Peers"), peerTable(status)),
      h("section", { class: "card" }, h("h2", {}, "Alarms"), alarms, certificates,
        split.length ? h("div", {}, split.map((g) => message("error", `Group ${g.group} has no path to ${g.unreachable.join(", ")}`))) : null,
        h("h2", {}, "Overdue requests"),
        state.overdue.length === 0 ? h("p", { class: "muted" }, "None.") :
          h("ul", {}, state.overdue.map((r) => h("li", {}, h("a", { href: "#/requests" }, `${r.from} → ${r.to}: ${r.question}`)))))));
}

async function renderDashboard() {
  state.overdue = await api("GET", "/api/requests?overdue=true");
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
      hits.map((hit) => h("tr", { class: "hit" }, h("td", {}, recordLink(hit.id, hit.label)), h("td", {}, hit.kind), h("td", {}, hit.group)))));
}

// ---- create and edit ----

function fieldInput(field, value) {
  const id = "field-" + field.name;
  let input;
  if (field.allowed) {
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
function fieldRows(fields, values) {
  return fields.map((f) => [h("label", { for: "field-" + f.name, class: f.required ? "required" : null }, fieldLabel(f.name)), fieldInput(f, values[f.name])]);
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
      for (const field of fields) {
        const value = form.elements[field.name].value.trim();
        if (value) values[field.name] = value;
      }
      try {
        const created = await api("POST", "/api/records", { kind, group: groupSelect.value, fields: values });
        state.dirty = false;
        location.hash = "#/record/" + created.id;
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

function editForm(record, onDone) {
  const fields = editableFields(record.kind).filter((f) => f.merge !== "immutable");
  const current = Object.fromEntries(Object.entries(record.fields).map(([name, f]) => [name, f.value]));
  const feedback = h("div");
  const form = h("form", {
    class: "fields", id: "edit-form",
    onsubmit: async (event) => {
      event.preventDefault();
      const set = {};
      const clear = [];
      for (const field of fields) {
        const value = form.elements[field.name].value.trim();
        const before = current[field.name] || "";
        if (value === before) continue;
        if (value) set[field.name] = value; else clear.push(field.name);
      }
      try {
        await api("PATCH", "/api/records/" + record.id, { set, clear });
        state.dirty = false;
        onDone();
      } catch (error) {
        feedback.replaceChildren(message("error", error.message));
        markInvalid(form, error.field);
      }
    },
  },
    fieldRows(fields, current),
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
      h("td", {}, fieldLabel(name)), h("td", {}, record.fields[name].value), h("td", { class: "by" }, record.fields[name].by),
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
    h("div", { class: "grid" },
      h("section", { class: "card" }, h("h2", {}, "Hits"),
        attachment(record.hits, (hit) => h("li", {}, `${value(hit, "place") || "?"}: ${value(hit, "outcome") || ""} `, h("span", { class: "muted" }, `(${hit.origin}, ${time(value(hit, "checked_at"))})`))),
        hitForm),
      h("section", { class: "card" }, h("h2", {}, "Notes"),
        attachment(record.notes, (note) => h("li", {}, value(note, "text"), " ", h("span", { class: "muted" }, `— ${value(note, "author")} at ${note.origin}`))),
        noteForm)),
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

function countdown(request) {
  const cell = h("td", { class: "due countdown", "data-due": request.due_at || "", "data-status": request.status });
  updateCountdown(cell);
  return cell;
}

function updateCountdown(cell) {
  const due = cell.dataset.due;
  const row = cell.parentElement;
  if (!due) { cell.textContent = "not yet received"; return; }
  if (cell.dataset.status === "answered" || cell.dataset.status === "closed") { cell.textContent = "due " + time(due); return; }
  const left = Math.round((new Date(due).getTime() - Date.now()) / 1000);
  const span = Math.abs(left);
  const text = `${Math.floor(span / 86400)}d ${String(Math.floor(span % 86400 / 3600)).padStart(2, "0")}:${String(Math.floor(span % 3600 / 60)).padStart(2, "0")}:${String(span % 60).padStart(2, "0")}`;
  cell.textContent = left >= 0 ? text + " left" : "OVERDUE by " + text;
  if (row) row.classList.toggle("overdue", left < 0);
}

function tickCountdowns() {
  for (const cell of document.querySelectorAll("td.countdown")) updateCountdown(cell);
}

function requestRow(request) {
  const actions = h("td");
  if (request.direction === "incoming" && (request.status === "open" || request.status === "acknowledged")) {
    const text = h("input", { placeholder: "answer", oninput: () => { state.dirty = true; } });
    actions.append(h("form", {
      class: "searchbar",
      onsubmit: async (event) => {
        event.preventDefault();
        await api("POST", `/api/requests/${request.id}/answer`, { text: text.value });
        state.dirty = false;
        route();
      },
    }, text, h("button", { type: "submit" }, "Answer")));
  } else if (request.direction === "outgoing" && request.status !== "closed") {
    actions.append(h("button", { type: "button", class: "secondary", onclick: async () => { await api("POST", `/api/requests/${request.id}/close`); route(); } }, "Close"));
  }
  const row = h("tr", { "data-request": request.id, class: request.overdue ? "overdue" : null },
    h("td", {}, request.direction === "incoming" ? `from ${request.from}` : `to ${request.to}`),
    h("td", {}, request.urgency.replace("_", " ")),
    h("td", {}, badge(request.status === "closed" ? "" : request.status === "answered" ? "ok" : "warn", request.status)),
    h("td", {}, request.question, request.answer ? h("div", { class: "muted" }, "Answer: " + request.answer) : null,
      h("div", {}, request.subjects.map((s) => [recordLink(s), " "]))),
    countdown(request),
    actions);
  return row;
}

function requestTable(requests, id) {
  if (requests.length === 0) return h("p", { class: "muted" }, "None.");
  return h("table", { id },
    h("tr", {}, h("th", {}, "Centre"), h("th", {}, "Urgency"), h("th", {}, "Status"), h("th", {}, "Question"), h("th", {}, "Deadline"), h("th", {}, "")),
    requests.map(requestRow));
}

async function renderRequests() {
  const requests = await api("GET", "/api/requests");
  const topology = await api("GET", "/api/topology");
  const feedback = h("div");
  const form = h("form", {
    class: "fields", id: "request-form",
    onsubmit: async (event) => {
      event.preventDefault();
      const subjects = form.elements.subjects.value.split(/[\s,]+/).filter(Boolean);
      try {
        await api("POST", "/api/requests", { to: form.elements.to.value, urgency: form.elements.urgency.value, question: form.elements.question.value, subjects });
        state.dirty = false;
        route();
      } catch (error) {
        feedback.replaceChildren(message("error", error.message));
      }
    },
  },
    h("label", {}, "To centre"), h("select", { name: "to" }, topology.nodes.filter((n) => n.id !== state.status.node).map((n) => h("option", { value: n.id }, n.id))),
    h("label", {}, "Urgency"), h("select", { name: "urgency" }, state.kinds.find((k) => k.kind === "request").fields.find((f) => f.name === "urgency").allowed.map((u) => h("option", { value: u }, u.replace("_", " ")))),
    h("label", {}, "Subject record ids"), h("input", { name: "subjects", placeholder: "ids, separated by spaces" }),
    h("label", { class: "required" }, "Question"), h("textarea", { name: "question", oninput: () => { state.dirty = true; } }),
    h("span"), h("div", { class: "actions" }, h("button", { type: "submit" }, "Send request")));
  show(
    h("h1", {}, "Requests"),
    h("section", { class: "card" }, h("h2", {}, "Inbox"), requestTable(requests.filter((r) => r.direction === "incoming"), "inbox")),
    h("section", { class: "card" }, h("h2", {}, "Outbox"), requestTable(requests.filter((r) => r.direction === "outgoing"), "outbox")),
    h("section", { class: "card" }, h("h2", {}, "New request"), form, feedback));
  await watch("/api/revision?kind=request");
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
    const status = await api("GET", "/api/status");
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
    if (view === "dashboard" && cards && (changed || peersChanged || certificatesChanged)) {
      cards.replaceWith(statusCards(status));
    } else if (view === "topology" && (changed || peersChanged)) {
      await route();
    } else if (changed && state.watch) {
      const watched = state.watch;
      const revision = (await api("GET", watched.path)).revision;
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
  renderBar();
  if (!location.hash) location.hash = "#/";
  await route();
}

window.addEventListener("hashchange", route);
window.addEventListener("DOMContentLoaded", async () => {
  document.getElementById("sign-out").addEventListener("click", () => signOut());
  setInterval(poll, 2000);
  setInterval(tickCountdowns, 1000);
  if (!state.token) return renderSignIn();
  try {
    state.me = await api("GET", "/api/me");
    await start();
  } catch (error) {
    if (error.code !== "unauthenticated") renderSignIn(error.message);
  }
});
