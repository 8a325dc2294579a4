// The sharelink demo page: browse files (GET /demo/files), create and manage shares
// through sharelink's management JSON API (/share/api). Plain JS, no build step.
"use strict";

const API = "/share/api";
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

// ----- files -------------------------------------------------------------------------
async function loadFiles(path) {
  const box = $("#files");
  try {
    const data = await call("GET", "/demo/files?path=" + encodeURIComponent(path));
    const parts = path ? path.split("/") : [];
    let crumbs = `<a href="#" data-dir="">(root)</a>`;
    parts.forEach((p, i) => {
      crumbs += ` / <a href="#" data-dir="${esc(parts.slice(0, i + 1).join("/"))}">${esc(p)}</a>`;
    });
    const rows = data.entries.map((e) => `<tr><td>${e.kind === "folder"
      ? `📁 <a href="#" data-dir="${esc(e.path)}">${esc(e.name)}/</a>` : `📄 ${esc(e.name)}`}</td>
      <td>${e.kind === "file" ? e.size + " B" : ""}</td><td>${esc(e.rights.join(", ") || "—")}</td>
      <td>${e.can_share ? `<button data-share="${esc(e.path)}">Share…</button>` : "<i>may not share</i>"}</td></tr>`);
    box.innerHTML = `<p>${crumbs}</p><table><tr><th>Name</th><th>Size</th><th>Your rights</th><th></th></tr>${rows.join("")}</table>`;
  } catch (e) {
    box.innerHTML = `<p class="err">${esc(e.message)}</p>`;
  }
}

$("#files").addEventListener("click", (ev) => {
  const dir = ev.target.closest("[data-dir]");
  if (dir) { ev.preventDefault(); loadFiles(dir.dataset.dir); return; }
  const share = ev.target.closest("[data-share]");
  if (share) {
    if (editing) resetForm();
    const items = form.elements.items;
    items.value = (items.value.trim() ? items.value.trim() + "\n" : "") + share.dataset.share;
    if (!form.elements.name.value) form.elements.name.value = share.dataset.share.split("/").pop();
    form.scrollIntoView();
  }
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
  f.items.value = share.items.map((i) => i.path + (i.alias ? " => " + i.alias : "")).join("\n");
  f.items.disabled = true;
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

function resetForm() {
  editing = null;
  form.reset();
  form.elements.items.disabled = false;
  form.elements.custom_key.disabled = false;
  $("#editor-title").textContent = "New share";
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
  $("#result").innerHTML = `<p class="ok">${verb}: <a href="${esc(share.link)}" target="_blank">${esc(share.link)}</a>
    (expires ${esc(show(share.effective.schedule.expires_at))})</p>
    ${share.generated_password ? `<p>Generated password (shown once): <code>${esc(share.generated_password)}</code></p>` : ""}
    ${adj ? `<p>Site policy and your rights adjusted what you asked for:</p><ul>${adj}</ul>` : ""}
    <img alt="QR code" width="120" src="${API}/shares/${share.id}/qr.svg">`;
}

form.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const f = form.elements;
  try {
    if (editing) {
      const pw = f.password_mode.value;
      const body = {
        settings: settingsFromForm(editing.requested),
        password: pw === "set" ? { set: f.password.value } : pw === "generate" ? "generate" : "keep",
      };
      const share = await call("PATCH", `${API}/shares/${editing.id}`, body);
      showResult(share, "Saved");
      resetForm();
    } else {
      const settings = settingsFromForm(me.defaults);
      const body = {
        name: f.name.value,
        items: list(f.items.value.replace(/,/g, "\n")).map((line) => {
          const [path, alias] = line.split("=>").map((x) => x.trim());
          return { path, alias: alias || null };
        }),
        settings,
        password: f.password_mode.value === "set" ? f.password.value : null,
        custom_key: textOrNull(f.custom_key.value.trim()),
      };
      const share = await call("POST", `${API}/shares`, body);
      showResult(share, "Created");
      resetForm();
    }
    loadShares();
  } catch (e) {
    $("#result").innerHTML = `<p class="err">${esc(e.message)}</p>`;
  }
});
$("#new").addEventListener("click", () => { resetForm(); $("#result").innerHTML = ""; });

// ----- share list and actions --------------------------------------------------------
let shown = new Map();

async function loadShares() {
  const q = new URLSearchParams();
  for (const [k, v] of new FormData($("#search"))) if (v) q.set(k, v);
  const box = $("#shares");
  try {
    const data = await call("GET", `${API}/shares?${q}`);
    shown = new Map(data.shares.map((s) => [String(s.id), s]));
    const rows = data.shares.map((s) => {
      const limit = s.effective.use_limit;
      return `<tr><td><b>${esc(s.effective.name)}</b><br><a href="${esc(s.link)}" target="_blank">${esc(s.key)}</a></td>
        <td>${esc(s.owner)}</td><td>${esc(s.items.map((i) => i.path).join(", "))}</td>
        <td>${esc(s.effective.allowed)}</td><td>${esc(s.state)}</td>
        <td>${s.uses}${limit ? " / " + limit.max + " " + esc(limit.unit) : ""}</td>
        <td>${esc(show(s.effective.schedule.expires_at))}</td>
        <td data-id="${s.id}"><button data-act="edit">Edit</button><button data-act="expire">Expire</button>
        <button data-act="reactivate">Reactivate</button><button data-act="revoke">Revoke</button>
        <button data-act="log">Log</button><button data-act="stats">Stats</button>
        <button data-act="email">Email…</button></td></tr>`;
    });
    box.innerHTML = rows.length ? `<table><tr><th>Share</th><th>Owner</th><th>Items</th><th>Level</th>
      <th>State</th><th>Uses</th><th>Expires</th><th></th></tr>${rows.join("")}</table>` : "<p>No shares.</p>";
  } catch (e) {
    box.innerHTML = `<p class="err">${esc(e.message)}</p>`;
  }
}

$("#search").addEventListener("submit", (ev) => { ev.preventDefault(); loadShares(); });

$("#shares").addEventListener("click", async (ev) => {
  const btn = ev.target.closest("[data-act]");
  if (!btn) return;
  const id = btn.parentElement.dataset.id;
  const share = shown.get(id);
  const details = $("#details");
  try {
    switch (btn.dataset.act) {
      case "edit":
        editing = share;
        fillForm(share);
        $("#editor-title").textContent = `Edit “${share.effective.name}”`;
        $("#save").textContent = "Save changes";
        $("#result").innerHTML = "";
        $("#editor").scrollIntoView();
        return;
      case "expire":
        await call("POST", `${API}/shares/${id}/expire`, {});
        break;
      case "reactivate": {
        const when = prompt("New expiry (YYYY-MM-DDTHH:MM, empty: site default)", "");
        if (when === null) return;
        await call("POST", `${API}/shares/${id}/reactivate`, {
          expires_at: localInput(when),
        });
        break;
      }
      case "revoke":
        if (!confirm("Revoke this share? Its link stops working and its log is deleted.")) return;
        await call("DELETE", `${API}/shares/${id}`);
        details.innerHTML = "";
        break;
      case "log": {
        const data = await call("GET", `${API}/shares/${id}/log?limit=100`);
        const rows = data.events.map((e) => `<tr><td>${esc(show(e.at))}</td><td>${esc(e.kind)}</td>
          <td>${esc(e.paths.join(", "))}</td><td>${esc(e.ip)}</td><td>${esc(e.email)}</td>
          <td>${esc(e.bytes)}</td><td>${esc(e.detail)}</td></tr>`);
        details.innerHTML = `<h3>Access log of “${esc(share.effective.name)}”</h3><table><tr><th>When</th>
          <th>What</th><th>Paths</th><th>IP</th><th>Email</th><th>Bytes</th><th>Detail</th></tr>${rows.join("")}</table>`;
        return;
      }
      case "stats": {
        const stats = await call("GET", `${API}/shares/${id}/statistics`);
        details.innerHTML = `<h3>Statistics of “${esc(share.effective.name)}”</h3><table>${Object.entries(stats)
          .map(([k, v]) => `<tr><th>${esc(k.replace(/_/g, " "))}</th><td>${esc(v)}</td></tr>`).join("")}</table>`;
        return;
      }
      case "email": {
        const to = prompt("Send the link to (comma-separated addresses)");
        if (!to) return;
        const data = await call("POST", `${API}/shares/${id}/email`, {
          recipients: list(to).map((email) => ({ email })), message: null,
        });
        details.innerHTML = `<h3>Sent</h3><ul>${data.outcomes.map((o) => `<li>${esc(o.email)}: ${o.ok ? "sent" : esc(o.message)}</li>`).join("")}</ul>`;
        return;
      }
    }
    loadShares();
  } catch (e) {
    details.innerHTML = `<p class="err">${esc(e.message)}</p>`;
  }
});

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
    $("#result").innerHTML = `<p class="err">${esc(e.message)}</p>`;
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
    $("#send-result").innerHTML = `<p class="ok">Sent: <a href="${esc(data.link)}" target="_blank">${esc(data.link)}</a></p>
      <ul>${(data.outcomes || []).map((o) => `<li>${esc(o.email)}: ${o.ok ? "sent" : esc(o.message)}</li>`).join("")}</ul>`;
    ev.target.reset();
    loadShares();
    loadFiles(s.folder.value.trim());
  } catch (e) {
    $("#send-result").innerHTML = `<p class="err">${esc(e.message)}</p>`;
  }
});

(async () => {
  me = await call("GET", "/demo/me");
  loadTemplates();
  loadFiles("");
  loadShares();
})();
