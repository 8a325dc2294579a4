// The sharelink demo page: pick files and folders from a tree (GET /demo/files, one
// folder at a time), create and edit shares, and manage them (link, QR code, recipients,
// access log, a per-day chart) through sharelink's management JSON API (/share/api).
// Plain JS, no build step; no inline script (the page's CSP forbids it).
"use strict";

const API = "/share/api";
const SVG = "http://www.w3.org/2000/svg";
// Icons drawn inline (no emoji font needed), hidden from assistive technology: the
// name next to them says what the item is.
const ICONS = {
  folder: `<svg class="icon" viewBox="0 0 16 16" aria-hidden="true" focusable="false"><path fill="#c58a00"
    d="M1 3.5A1.5 1.5 0 0 1 2.5 2h3.6l1.5 1.5h5.9A1.5 1.5 0 0 1 15 5v7.5a1.5 1.5 0 0 1-1.5 1.5h-11A1.5 1.5 0 0 1 1 12.5z"/></svg>`,
  file: `<svg class="icon" viewBox="0 0 16 16" aria-hidden="true" focusable="false"><path fill="#fff" stroke="#5f6368"
    d="M3.5 1.5h6l3 3v10h-9z"/><path fill="none" stroke="#5f6368" d="M9.5 1.5v3h3M5.5 8h5M5.5 10.5h5"/></svg>`,
};
const icon = (kind) => (kind === "folder" ? ICONS.folder : ICONS.file);
const $ = (sel, root = document) => root.querySelector(sel);
const form = $("#share-form");
let me = null; // {user, admin, defaults}
let editing = null; // the share being edited, or null when creating

function esc(s) {
  return String(s ?? "").replace(/[&<>"']/g, (c) => ({
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
  })[c]);
}

// Every call says it comes from this page's script (`X-Sharelink-Request`), which a
// form on another site cannot; bodies are JSON.
async function call(method, url, body) {
  const headers = { Accept: "application/json", "X-Sharelink-Request": "1" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(url, {
    method,
    credentials: "same-origin",
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (_) { data = { message: text }; }
  if (!res.ok) throw new Error((data && (data.message || data.error)) || res.statusText);
  return data;
}

// ----- instants: the API answers RFC 3339 and takes the value of a datetime-local input
// as it is, reading it in the share's time zone (set to this browser's below).
const localInput = (value) => value || null;

function fromInstant(v) {
  return v === null || v === undefined ? null : new Date(v);
}

function toLocalInput(v) {
  const d = fromInstant(v);
  if (!d) return "";
  const p = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

function show(v) {
  const d = fromInstant(v);
  return d ? d.toLocaleString() : "never";
}

function size(bytes) {
  if (bytes === null || bytes === undefined) return "";
  const units = ["B", "kB", "MB", "GB", "TB"];
  let n = Number(bytes);
  let i = 0;
  while (n >= 1000 && i < units.length - 1) { n /= 1000; i += 1; }
  return `${i ? n.toFixed(1) : n} ${units[i]}`;
}

// ----- the file tree: each folder's children are fetched when it is first opened -----
// What is picked for the share: path -> {path, kind, alias, existing (edit: already an
// item of the share)}.
const picked = new Map();
const removed = new Set(); // edit: items of the share to remove on save
let nodeCount = 0;

function treeRows(entries) {
  return entries.map((e) => {
    nodeCount += 1;
    const id = `node-${nodeCount}`;
    const folder = e.kind === "folder";
    const sign = icon(e.kind);
    const meta = folder ? "" : ` <span class="meta">${esc(size(e.size))}</span>`;
    const open = folder
      ? `<button type="button" class="twisty" aria-expanded="false" aria-controls="${id}-children"
          data-open="${esc(e.path)}" aria-label="Folder ${esc(e.name)}"><span class="chev" aria-hidden="true">▸</span></button>`
      : `<span class="spacer"></span>`;
    const pick = e.can_share
      ? `<input type="checkbox" id="${id}" data-pick="${esc(e.path)}" data-kind="${e.kind}"${picked.has(e.path) ? " checked" : ""}>
         <label for="${id}">${sign} ${esc(e.name)}${meta}</label>`
      : `<span>${sign} ${esc(e.name)}${meta}</span> <span class="meta">(${e.rights.length ? "read only" : "no access"})</span>`;
    return `<li><div class="row">${open}${pick}</div>${folder ? `<ul id="${id}-children" hidden></ul>` : ""}</li>`;
  }).join("");
}

async function loadFolder(path, list) {
  list.setAttribute("aria-busy", "true");
  try {
    const data = await call("GET", "/demo/files?path=" + encodeURIComponent(path));
    list.innerHTML = data.entries.length ? treeRows(data.entries) : `<li class="muted">(empty)</li>`;
    list.dataset.loaded = "1";
  } catch (e) {
    list.innerHTML = `<li class="err">${esc(e.message)}</li>`;
  } finally {
    list.removeAttribute("aria-busy");
  }
}

async function loadTree() {
  const box = $("#tree");
  box.innerHTML = `<ul class="tree"></ul>`;
  await loadFolder("", $("ul", box));
  box.removeAttribute("aria-busy");
}

$("#tree").addEventListener("click", async (ev) => {
  const btn = ev.target.closest("[data-open]");
  if (!btn) return;
  const list = document.getElementById(btn.getAttribute("aria-controls"));
  const open = btn.getAttribute("aria-expanded") !== "true";
  btn.setAttribute("aria-expanded", String(open));
  list.hidden = !open;
  if (open && !list.dataset.loaded) await loadFolder(btn.dataset.open, list);
});

$("#tree").addEventListener("change", (ev) => {
  const box = ev.target.closest("[data-pick]");
  if (!box) return;
  const path = box.dataset.pick;
  if (box.checked) pick(path, box.dataset.kind); else unpick(path);
});

function pick(path, kind) {
  if (removed.has(path)) removed.delete(path);
  if (!picked.has(path)) picked.set(path, { path, kind, alias: "", existing: false });
  const name = form.elements.name;
  if (!editing && !name.value) name.value = path.split("/").pop();
  renderPicked();
}

function unpick(path) {
  const item = picked.get(path);
  if (item && item.existing) removed.add(path);
  picked.delete(path);
  for (const box of document.querySelectorAll("#tree [data-pick]")) {
    if (box.dataset.pick === path) box.checked = false;
  }
  renderPicked();
}

function renderPicked() {
  const items = [...picked.values()];
  $("#picked-empty").hidden = items.length > 0;
  $("#picked").innerHTML = items.map((i, n) => `<li>${icon(i.kind)}
    <code>${esc(i.path)}</code>
    <label>shown as <input data-alias="${n}" value="${esc(i.alias)}" placeholder="${esc(i.path.split("/").pop())}"
      ${i.existing ? "disabled" : ""} aria-label="Name visitors see for ${esc(i.path)}"></label>
    <button type="button" data-unpick="${esc(i.path)}" aria-label="Remove ${esc(i.path)}">Remove</button></li>`).join("");
}

$("#picked").addEventListener("click", (ev) => {
  const btn = ev.target.closest("[data-unpick]");
  if (btn) unpick(btn.dataset.unpick);
});
$("#picked").addEventListener("input", (ev) => {
  const input = ev.target.closest("[data-alias]");
  if (input) [...picked.values()][Number(input.dataset.alias)].alias = input.value;
});

// ----- the share form ----------------------------------------------------------------
const list = (s) => s.split(/[,;\n]/).map((x) => x.trim()).filter(Boolean);
const numOrNull = (s) => (s === "" ? null : Number(s));
const textOrNull = (s) => (s.trim() === "" ? null : s);

function settingsFromForm(base) {
  const f = form.elements;
  const schedule = Object.assign({}, base.schedule, {
    starts_at: localInput(f.starts_at.value),
    expires_at: localInput(f.expires_at.value),
    time_zone: Intl.DateTimeFormat().resolvedOptions().timeZone || null,
  });
  // The creator's UTC offset (`+01:00:00`), so dates show as they meant them.
  const minutes = -new Date().getTimezoneOffset();
  const p = (n) => String(Math.abs(n)).padStart(2, "0");
  schedule.display_offset = `${minutes < 0 ? "-" : "+"}${p(Math.trunc(minutes / 60))}:${p(minutes % 60)}:00`;
  const access = f.access.value === "verified_emails"
    ? { kind: "verified_emails", patterns: list(f.patterns.value) } : { kind: f.access.value };
  let registration = null;
  if (f.registration.value === "default") registration = { kind: "default" };
  if (f.registration.value === "custom") {
    registration = {
      kind: "custom",
      fields: list(f.questions.value).map((label) => ({
        label, description: null, required: true, kind: { type: "short_answer" },
      })),
    };
  }
  const exts = list(f.extensions.value).map((x) => x.replace(/^\./, "").toLowerCase());
  return {
    name: f.name.value,
    description: textOrNull(f.description.value),
    internal_note: textOrNull(f.internal_note.value),
    allowed: f.allowed.value,
    mode: f.mode.value,
    schedule,
    use_limit: f.use_max.value ? { max: Number(f.use_max.value), unit: f.use_unit.value } : null,
    access,
    device_binding: f.device_binding.checked,
    ip_allow: list(f.ip_allow.value),
    password: f.password_mode.value === "keep" ? base.password : f.password_mode.value !== "none",
    password_autofill: f.password_autofill.checked,
    registration,
    registration_template: numOrNull(f.registration_template.value),
    clickwrap_template: numOrNull(f.clickwrap_template.value),
    clickwrap: f.clickwrap_terms.value.trim()
      ? { title: f.clickwrap_title.value || "Terms", terms: f.clickwrap_terms.value } : null,
    watermark: f.watermark.value.trim() ? { text: f.watermark.value } : null,
    inbox: textOrNull(f.inbox.value.trim()),
    upload_rules: {
      allowed_extensions: exts.length ? exts : null,
      max_file_bytes: numOrNull(f.max_file_bytes.value),
      max_share_bytes: numOrNull(f.max_share_bytes.value),
      subfolder: f.subfolder.value,
    },
    // The older `notify_on_download` is folded into `notifications.download`.
    notify_on_download: false,
    notifications: {
      download: f.notify_download.checked,
      upload: f.notify_upload.checked,
      registration: f.notify_registration.checked,
      first_visit: f.notify_first_visit.checked,
      expiry_soon: f.notify_expiry_soon.checked,
      digest: f.notify_digest.checked,
    },
  };
}

function fillForm(share) {
  const f = form.elements;
  const s = share.requested;
  picked.clear();
  removed.clear();
  for (const i of share.items) {
    picked.set(i.path, { path: i.path, kind: i.kind || "item", alias: i.alias || "", existing: true });
  }
  syncTreeChecks();
  renderPicked();
  f.custom_key.value = share.key;
  f.custom_key.disabled = true;
  f.name.value = s.name;
  f.description.value = s.description ?? "";
  f.internal_note.value = s.internal_note ?? "";
  f.allowed.value = s.allowed;
  f.mode.value = s.mode;
  const n = s.notifications || {};
  f.notify_download.checked = s.notify_on_download || !!n.download;
  for (const k of ["upload", "registration", "first_visit", "digest"]) f["notify_" + k].checked = !!n[k];
  f.notify_expiry_soon.checked = n.expiry_soon !== false;
  f.starts_at.value = toLocalInput(s.schedule.starts_at);
  f.expires_at.value = toLocalInput(share.effective.schedule.expires_at);
  f.use_max.value = s.use_limit ? s.use_limit.max : "";
  if (s.use_limit) f.use_unit.value = s.use_limit.unit;
  f.password_mode.value = "keep";
  f.password.value = "";
  f.password_autofill.checked = s.password_autofill;
  f.access.value = s.access.kind;
  f.patterns.value = (s.access.patterns || []).join(", ");
  f.device_binding.checked = s.device_binding;
  f.ip_allow.value = (s.ip_allow || []).join(", ");
  f.registration.value = s.registration ? s.registration.kind : "none";
  f.questions.value = s.registration && s.registration.fields
    ? s.registration.fields.map((x) => x.label).join("; ") : "";
  f.clickwrap_title.value = s.clickwrap ? s.clickwrap.title : "";
  f.clickwrap_terms.value = s.clickwrap ? s.clickwrap.terms : "";
  f.registration_template.value = s.registration_template ?? "";
  f.clickwrap_template.value = s.clickwrap_template ?? "";
  f.watermark.value = s.watermark ? s.watermark.text : "";
  f.inbox.value = s.inbox ?? "";
  f.extensions.value = (s.upload_rules.allowed_extensions || []).join(", ");
  f.max_file_bytes.value = s.upload_rules.max_file_bytes ?? "";
  f.max_share_bytes.value = s.upload_rules.max_share_bytes ?? "";
  f.subfolder.value = s.upload_rules.subfolder;
}

// The tree's boxes show what is picked.
function syncTreeChecks() {
  for (const box of document.querySelectorAll("#tree [data-pick]")) box.checked = picked.has(box.dataset.pick);
}

function resetForm() {
  editing = null;
  form.reset();
  picked.clear();
  removed.clear();
  syncTreeChecks();
  renderPicked();
  form.elements.custom_key.disabled = false;
  $("#editor-title").textContent = "2. New share";
  $("#save").textContent = "Create share";
}

function describe(a) {
  switch (a.kind) {
    case "expiry_defaulted": return `no expiry was asked: the site default applies (${show(a.to)})`;
    case "expiry_capped": return `expiry capped to the site's maximum lifetime (${show(a.to)})`;
    case "expiry_raised": return `expiry raised to the site's minimum lifetime (${show(a.to)})`;
    case "password_required": return "the site requires a password on every share";
    case "level_reduced": return `level reduced from ${a.requested} to ${a.to} (your rights on the items)`;
    case "device_binding_unavailable": return "the site does not allow device binding";
    default: return JSON.stringify(a);
  }
}

function showResult(share, verb) {
  const adj = (share.adjustments || []).map((a) => `<li>${esc(describe(a))}</li>`).join("");
  $("#result").innerHTML = `<p class="ok">${verb} “${esc(share.effective.name)}”:
    <a href="${esc(share.link)}" target="_blank" rel="noopener">${esc(share.link)}</a>
    (expires ${esc(show(share.effective.schedule.expires_at))})</p>
    ${share.generated_password ? `<p>Generated password (shown once): <code>${esc(share.generated_password)}</code></p>` : ""}
    ${adj ? `<p>Site policy and your rights adjusted what you asked for:</p><ul>${adj}</ul>` : ""}`;
}

function failed(box, e) {
  box.innerHTML = `<p class="err">${esc(e.message)}</p>`;
}

form.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const f = form.elements;
  try {
    if (!picked.size) throw new Error("Pick at least one file or folder in the tree first.");
    let share;
    if (editing) {
      const id = editing.id;
      const pw = f.password_mode.value;
      const added = [...picked.values()].filter((i) => !i.existing);
      if (removed.size) {
        await call("POST", `${API}/shares/${id}/items/remove`, [...removed]);
      }
      if (added.length) {
        await call("POST", `${API}/shares/${id}/items`, added.map((i) => ({ path: i.path, alias: textOrNull(i.alias) })));
      }
      share = await call("PATCH", `${API}/shares/${id}`, {
        settings: settingsFromForm(editing.requested),
        password: pw === "set" ? { set: f.password.value } : pw === "generate" ? "generate" : "keep",
      });
      showResult(share, "Saved");
    } else {
      share = await call("POST", `${API}/shares`, {
        name: f.name.value,
        items: [...picked.values()].map((i) => ({ path: i.path, alias: textOrNull(i.alias) })),
        settings: settingsFromForm(me.defaults),
        password: f.password_mode.value === "set" ? f.password.value : null,
        custom_key: textOrNull(f.custom_key.value.trim()),
      });
      showResult(share, "Created");
    }
    resetForm();
    await loadShares();
    const card = document.getElementById(`share-${share.id}`);
    if (card) card.scrollIntoView({ block: "nearest" });
  } catch (e) {
    failed($("#result"), e);
  }
});
$("#new").addEventListener("click", () => { resetForm(); $("#result").innerHTML = ""; });

// ----- the share list ----------------------------------------------------------------
const STATES = {
  active: "Active", expired: "Expired", exhausted: "Used up", not_yet_active: "Not yet active", revoked: "Revoked",
};
let shown = new Map(); // id -> share, as listed
// Revoking deletes a share with its log; the page keeps showing it (greyed) until the
// next reload, so it does not vanish without a word.
const revoked = new Map();

function shareCard(s, gone) {
  const limit = s.effective.use_limit;
  const state = gone ? "revoked" : s.state;
  const items = s.items.map((i) => esc(i.origin || i.path) + (i.alias ? ` (as “${esc(i.alias)}”)` : "")).join(", ");
  const actions = gone ? `<p class="muted">Revoked: the link no longer works and its log is deleted.</p>` : `
    <div class="linkrow"><label for="link-${s.id}">Link</label>
      <input id="link-${s.id}" readonly value="${esc(s.link)}">
      <button type="button" data-act="copy" aria-describedby="name-${s.id}">Copy link</button></div>
    <div class="actions" role="group" aria-labelledby="name-${s.id}">
      <button type="button" data-act="edit">Edit</button>
      <button type="button" data-act="recipients">Recipients</button>
      <button type="button" data-act="activity">Activity</button>
      ${s.state === "expired" || s.state === "exhausted"
        ? `<button type="button" data-act="reactivate">Reactivate</button>`
        : `<button type="button" data-act="expire">Expire now</button>`}
      <button type="button" data-act="revoke" class="danger">Revoke</button></div>`;
  return `<li class="card${gone ? " gone" : ""}" id="share-${s.id}" data-id="${s.id}">
    <div class="card-head"><div><h3 id="name-${s.id}">${esc(s.effective.name)}</h3>
      <span class="badge ${state}">${esc(STATES[state] || state)}</span>
      ${s.password_protected ? `<span class="badge not_yet_active">Password</span>` : ""}</div>
      ${gone ? "" : `<img class="qr" src="${API}/shares/${s.id}/qr.svg" width="96" height="96"
        alt="QR code of the link to ${esc(s.effective.name)}">`}</div>
    <dl><dt>Items</dt><dd>${items}</dd>
      ${me.admin ? `<dt>Owner</dt><dd>${esc(s.owner)}</dd>` : ""}
      <dt>Visitors may</dt><dd>${esc(s.effective.allowed.replace(/_/g, " "))}</dd>
      <dt>Uses</dt><dd>${s.uses}${limit ? ` of ${limit.max} (${esc(limit.unit)}s)` : " (no limit)"}</dd>
      <dt>Expires</dt><dd>${esc(show(s.effective.schedule.expires_at))}</dd></dl>
    ${actions}</li>`;
}

async function loadShares() {
  const q = new URLSearchParams();
  for (const [k, v] of new FormData($("#search"))) if (v) q.set(k, v);
  const box = $("#shares");
  const status = $("#list-status");
  try {
    const data = await call("GET", `${API}/shares?${q}`);
    shown = new Map(data.shares.map((s) => [String(s.id), s]));
    const cards = data.shares.map((s) => shareCard(s, false));
    for (const [id, s] of revoked) if (!shown.has(id)) cards.push(shareCard(s, true));
    box.innerHTML = cards.join("");
    status.textContent = data.shares.length
      ? `${data.shares.length} share${data.shares.length === 1 ? "" : "s"}${data.next_cursor ? " (the newest)" : ""}.`
      : "No shares yet: pick files above and create one.";
  } catch (e) {
    box.innerHTML = "";
    status.innerHTML = `<span class="err">${esc(e.message)}</span>`;
  }
}

$("#search").addEventListener("submit", (ev) => { ev.preventDefault(); loadShares(); });

$("#shares").addEventListener("click", async (ev) => {
  const btn = ev.target.closest("[data-act]");
  if (!btn) return;
  const id = btn.closest("[data-id]").dataset.id;
  const share = shown.get(id);
  const status = $("#list-status");
  try {
    switch (btn.dataset.act) {
      case "copy": {
        const input = document.getElementById(`link-${id}`);
        try {
          await navigator.clipboard.writeText(input.value);
        } catch (_) {
          input.select();
          document.execCommand("copy");
        }
        status.textContent = `Link of “${share.effective.name}” copied.`;
        return;
      }
      case "edit":
        editing = share;
        fillForm(share);
        $("#editor-title").textContent = `Edit “${share.effective.name}”`;
        $("#save").textContent = "Save changes";
        $("#result").innerHTML = `<p>Tick more items in the tree to add them; “Remove” takes one out.</p>`;
        $("#editor").scrollIntoView();
        form.elements.name.focus();
        return;
      case "recipients":
        await openRecipients(share);
        return;
      case "activity":
        await openActivity(share);
        return;
      case "expire":
        await call("POST", `${API}/shares/${id}/expire`, {});
        status.textContent = `“${share.effective.name}” expired.`;
        break;
      case "reactivate": {
        const when = prompt("New expiry (YYYY-MM-DDTHH:MM, your time; empty: the site default)", "");
        if (when === null) return;
        await call("POST", `${API}/shares/${id}/reactivate`, { expires_at: localInput(when) });
        status.textContent = `“${share.effective.name}” is active again.`;
        break;
      }
      case "revoke":
        if (!confirm(`Revoke “${share.effective.name}”? Its link stops working and its log is deleted.`)) return;
        await call("DELETE", `${API}/shares/${id}`);
        revoked.set(id, share);
        if ($("#details").dataset.id === id) closeDetails();
        status.textContent = `“${share.effective.name}” revoked.`;
        break;
    }
    await loadShares();
  } catch (e) {
    status.innerHTML = `<span class="err">${esc(e.message)}</span>`;
  }
});

// ----- the details panel: recipients, or activity (statistics, chart, access log) -----
const details = $("#details");

function openDetails(share, title, html) {
  details.dataset.id = String(share.id);
  $("#details-title").textContent = title;
  $("#details-body").innerHTML = html;
  details.hidden = false;
  $("#details-title").focus();
}

function closeDetails() {
  details.hidden = true;
  delete details.dataset.id;
  $("#details-body").innerHTML = "";
}
$("#close-details").addEventListener("click", () => {
  const id = details.dataset.id;
  closeDetails();
  const card = id && document.getElementById(`share-${id}`);
  if (card) $("[data-act=activity]", card).focus();
});

const RECIPIENT_STATES = { active: "Active", revoked: "Revoked", expired: "Expired" };

async function openRecipients(share) {
  const data = await call("GET", `${API}/shares/${share.id}/recipients`);
  openDetails(share, `Recipients of “${share.effective.name}”`, recipientsHtml(share, data.recipients));
}

function recipientsHtml(share, recipients) {
  const rows = recipients.map((r) => `<li data-recipient="${r.id}" data-email="${esc(r.email)}">
    <b>${esc(r.email)}</b>${r.company ? ` <span class="muted">(${esc(r.company)})</span>` : ""}
    <span class="badge ${esc(r.state)}">${esc(RECIPIENT_STATES[r.state] || r.state)}</span>
    <span class="muted">sent ${esc(show(r.sent_at))}; last opened ${esc(r.last_access_at ? show(r.last_access_at) : "not yet")}
      ${r.expires_at ? `; their link expires ${esc(show(r.expires_at))}` : ""}${r.bound ? "; bound to a device" : ""}</span>
    <span class="actions">
      <button type="button" data-recipient-act="resend" aria-label="Send ${esc(r.email)} a new link">Send new link</button>
      ${r.state === "active" ? `<button type="button" data-recipient-act="expire" aria-label="Expire the link of ${esc(r.email)}">Expire link</button>
      <button type="button" data-recipient-act="revoke" class="danger" aria-label="Revoke the link of ${esc(r.email)}">Revoke link</button>` : ""}
    </span></li>`).join("");
  return `<p class="muted">Each recipient gets a link of their own by email; revoking or expiring one
    leaves the others working, and a new link replaces the old one.</p>
    ${rows ? `<ul class="picked" id="recipients">${rows}</ul>` : `<p>No recipients yet.</p>`}
    <form id="invite"><h3>Send the link by email</h3>
      <p><label>To <input name="to" type="text" required autocomplete="off" placeholder="rita@example.com, sam@example.com"></label>
      <label>Message <input name="message"></label> <button>Send</button></p></form>
    <div id="recipient-status" role="status"></div>`;
}

details.addEventListener("click", async (ev) => {
  const btn = ev.target.closest("[data-recipient-act]");
  if (!btn) return;
  const li = btn.closest("[data-recipient]");
  const id = details.dataset.id;
  const rid = li.dataset.recipient;
  const share = shown.get(id);
  const status = $("#recipient-status");
  try {
    const act = btn.dataset.recipientAct;
    if (act === "revoke" && !confirm(`Revoke the link of ${li.dataset.email}?`)) return;
    if (act === "resend") await call("POST", `${API}/shares/${id}/recipients/${rid}/resend`, { message: null });
    if (act === "expire") await call("POST", `${API}/shares/${id}/recipients/${rid}/expire`);
    if (act === "revoke") await call("POST", `${API}/shares/${id}/recipients/${rid}/revoke`);
    await openRecipients(share);
    $("#recipient-status").textContent = act === "resend"
      ? `A new link was sent to ${li.dataset.email}.` : `The link of ${li.dataset.email} no longer works.`;
  } catch (e) {
    status.innerHTML = `<span class="err">${esc(e.message)}</span>`;
  }
});

details.addEventListener("submit", async (ev) => {
  if (ev.target.id !== "invite") return;
  ev.preventDefault();
  const id = details.dataset.id;
  const share = shown.get(id);
  const f = ev.target.elements;
  try {
    const data = await call("POST", `${API}/shares/${id}/email`, {
      recipients: list(f.to.value).map((email) => ({ email })), message: textOrNull(f.message.value),
    });
    await openRecipients(share);
    $("#recipient-status").innerHTML = `<ul>${data.outcomes.map((o) => `<li>${esc(o.email)}: ${o.ok
      ? "sent" : `<span class="err">${esc(o.message)}</span>`}</li>`).join("")}</ul>`;
  } catch (e) {
    $("#recipient-status").innerHTML = `<span class="err">${esc(e.message)}</span>`;
  }
});

// Activity: totals, a chart of the last 30 days (UTC) drawn as SVG, and the access log
// page by page.
const DAYS = 30;
const SERIES = [
  { key: "visits", label: "Visits", color: "#1a56c4" },
  { key: "downloads", label: "Downloads", color: "#0d7a3a" },
  { key: "denials", label: "Refused", color: "#b3261e" },
];

const isoDay = (d) => d.toISOString().slice(0, 10);

async function openActivity(share) {
  const id = share.id;
  const to = new Date();
  const from = new Date(to.getTime() - (DAYS - 1) * 86400000);
  const [stats, daily, log] = await Promise.all([
    call("GET", `${API}/shares/${id}/statistics`),
    call("GET", `${API}/statistics/daily?share=${id}&from=${isoDay(from)}&to=${isoDay(to)}`),
    call("GET", `${API}/shares/${id}/log?limit=50`),
  ]);
  openDetails(share, `Activity of “${share.effective.name}”`, `
    <ul class="totals">
      <li><b>${stats.visits}</b> visits</li><li><b>${stats.unique_visitors}</b> visitors</li>
      <li><b>${stats.downloads}</b> downloads (${esc(size(stats.bytes_downloaded))})</li>
      <li><b>${stats.uploads}</b> uploads (${esc(size(stats.bytes_uploaded))})</li>
      <li><b>${stats.denials}</b> refused</li></ul>
    <h3 id="chart-title">Per day, last ${DAYS} days (UTC)</h3>
    <ul class="legend">${SERIES.map((s) => `<li><span class="swatch ${s.key}"></span>${s.label}</li>`).join("")}</ul>
    <div class="chart" id="chart"></div>
    <details><summary>The numbers per day</summary><div class="scroll" tabindex="0" role="region" aria-label="Numbers per day">
      <table><thead><tr><th scope="col">Day</th>${SERIES.map((s) => `<th scope="col">${s.label}</th>`).join("")}</tr></thead>
      <tbody>${daily.days.filter((d) => SERIES.some((s) => d[s.key])).map((d) => `<tr><th scope="row">${esc(d.day)}</th>
        ${SERIES.map((s) => `<td>${d[s.key]}</td>`).join("")}</tr>`).join("") || `<tr><td colspan="${SERIES.length + 1}">No activity.</td></tr>`}</tbody></table></div></details>
    <h3 id="log-title">Access log</h3>
    <div class="scroll" tabindex="0" role="region" aria-labelledby="log-title">
      <table><thead><tr><th scope="col">When</th><th scope="col">What</th><th scope="col">Paths</th>
        <th scope="col">From</th><th scope="col">Email</th><th scope="col">Bytes</th><th scope="col">Detail</th></tr></thead>
      <tbody id="log-rows"></tbody></table></div>
    <p><button type="button" id="older" hidden>Older events</button></p>`);
  $("#chart").append(chart(daily.days));
  showLog(id, log);
}

function logRows(events) {
  return events.map((e) => `<tr><td>${esc(show(e.at))}</td><td>${esc(e.kind.replace(/_/g, " "))}</td>
    <td>${esc((e.paths || []).join(", "))}</td><td>${esc(e.ip)}</td><td>${esc(e.email)}</td>
    <td>${esc(size(e.bytes))}</td><td>${esc(e.detail)}</td></tr>`).join("");
}

function showLog(id, page) {
  const rows = $("#log-rows");
  if (!rows.children.length && !page.events.length) {
    rows.innerHTML = `<tr><td colspan="7">Nothing yet: no one has opened the link.</td></tr>`;
  } else {
    rows.insertAdjacentHTML("beforeend", logRows(page.events));
  }
  const older = $("#older");
  older.hidden = page.next_before_id === null;
  older.onclick = async () => {
    const next = await call("GET", `${API}/shares/${id}/log?limit=50&before_id=${page.next_before_id}`);
    showLog(id, next);
  };
}

function svgEl(name, attrs, text) {
  const el = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

// Grouped bars, one group per day; the y axis runs to a round maximum.
function chart(days) {
  const W = 720, H = 240, left = 36, right = 8, top = 10, bottom = 30;
  const max = Math.max(1, ...days.flatMap((d) => SERIES.map((s) => d[s.key])));
  const step = max <= 5 ? 1 : Math.ceil(max / 4);
  const yMax = Math.ceil(max / step) * step;
  const totals = SERIES.map((s) => `${days.reduce((n, d) => n + d[s.key], 0)} ${s.label.toLowerCase()}`).join(", ");
  const svg = svgEl("svg", {
    viewBox: `0 0 ${W} ${H}`, role: "img", "aria-labelledby": "chart-svg-title chart-svg-desc",
  });
  svg.append(svgEl("title", { id: "chart-svg-title" }, `Activity per day, ${days[0].day} to ${days[days.length - 1].day}`));
  svg.append(svgEl("desc", { id: "chart-svg-desc" }, `In all: ${totals}.`));
  const y = (v) => top + (H - top - bottom) * (1 - v / yMax);
  for (let v = 0; v <= yMax; v += step) {
    svg.append(svgEl("line", { x1: left, x2: W - right, y1: y(v), y2: y(v), stroke: "#d0d0d0" }));
    svg.append(svgEl("text", { x: left - 6, y: y(v) + 4, "text-anchor": "end", "font-size": 12, fill: "#444" }, v));
  }
  const slot = (W - left - right) / days.length;
  const bar = Math.max(1, (slot - 3) / SERIES.length);
  days.forEach((d, i) => {
    const x0 = left + i * slot + 1.5;
    SERIES.forEach((s, j) => {
      const v = d[s.key];
      if (!v) return;
      const rect = svgEl("rect", { x: x0 + j * bar, y: y(v), width: bar, height: y(0) - y(v), fill: s.color });
      rect.append(svgEl("title", {}, `${d.day}: ${v} ${s.label.toLowerCase()}`));
      svg.append(rect);
    });
    if ((days.length - 1 - i) % 7 === 0) {
      svg.append(svgEl("text", { x: x0 + slot / 2, y: H - 10, "text-anchor": "middle", "font-size": 12, fill: "#444" },
        d.day.slice(5)));
    }
  });
  return svg;
}

// ----- templates: a share can use a saved form or terms by reference, so an edit of
// the template reaches every share that uses it.
async function loadTemplates() {
  const data = await call("GET", `${API}/templates`);
  for (const [select, kind] of [["registration_template", "form"], ["clickwrap_template", "clickwrap"]]) {
    const el = form.elements[select];
    const keep = el.value;
    el.innerHTML = el.options[0].outerHTML + data.templates.filter((t) => t.body.kind === kind)
      .map((t) => `<option value="${t.id}">${esc(t.name)}</option>`).join("");
    el.value = keep;
  }
}

$("#save-terms").addEventListener("click", async () => {
  const f = form.elements;
  try {
    if (!f.clickwrap_terms.value.trim()) throw new Error("write the terms first");
    const name = prompt("Template name", f.clickwrap_title.value || "Terms");
    if (!name) return;
    const t = await call("POST", `${API}/templates`, {
      name,
      body: { kind: "clickwrap", clickwrap: { title: f.clickwrap_title.value || "Terms", terms: f.clickwrap_terms.value } },
    });
    await loadTemplates();
    f.clickwrap_template.value = String(t.id);
  } catch (e) {
    failed($("#result"), e);
  }
});

// ----- upload and send: one multipart call (POST /api/shares/upload), the `share` JSON
// part first, then the files, streamed by the browser.
$("#send-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const s = ev.target.elements;
  const f = form.elements;
  const body = new FormData();
  body.append("share", new Blob([JSON.stringify({
    name: f.name.value || s.files.files[0].name,
    folder: s.folder.value.trim(),
    settings: settingsFromForm(me.defaults),
    password: f.password_mode.value === "set" ? f.password.value : null,
    recipients: list(s.recipients.value).map((email) => ({ email })),
    message: textOrNull(s.message.value),
  })], { type: "application/json" }));
  for (const file of s.files.files) body.append("file", file, file.name);
  try {
    const res = await fetch(`${API}/shares/upload`, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-Sharelink-Request": "1" },
      body,
    });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(data.message || data.error || res.statusText);
    $("#send-result").innerHTML = `<p class="ok">Sent: <a href="${esc(data.link)}" target="_blank" rel="noopener">${esc(data.link)}</a></p>
      <ul>${(data.outcomes || []).map((o) => `<li>${esc(o.email)}: ${o.ok ? "sent" : esc(o.message)}</li>`).join("")}</ul>`;
    ev.target.reset();
    loadShares();
    loadTree();
  } catch (e) {
    failed($("#send-result"), e);
  }
});

(async () => {
  me = await call("GET", "/demo/me");
  renderPicked();
  loadTemplates().catch((e) => failed($("#result"), e));
  await Promise.all([loadTree(), loadShares()]);
})();
