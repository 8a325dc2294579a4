// The demo's site-settings page: reads the site settings through sharelink's management
// API (GET /share/api/site) and saves the changed ones (PATCH, naming the version read,
// so a save over someone else's answers 409). Durations are whole seconds in the API and
// days on this page. Plain JS, no build step.
"use strict";

const URL_SITE = "/share/api/site";
const $ = (sel) => document.querySelector(sel);
const form = $("#site-form");
const DAY = 86400;
let version = 0;
let loaded = null; // the settings as read, for what this page does not show

async function call(method, body) {
  const headers = { Accept: "application/json", "X-Sharelink-Request": "1" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(URL_SITE, {
    method,
    credentials: "same-origin",
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    const err = new Error(data.message || data.error || res.statusText);
    err.field = data.field;
    throw err;
  }
  return data;
}

const days = (secs) => (secs === null || secs === undefined ? "" : String(secs / DAY));
const secs = (text) => (text.trim() === "" ? null : Math.round(Number(text) * DAY));
const count = (text) => (text.trim() === "" ? null : Number(text));
const words = (text) => text.split(/[\s,]+/).map((w) => w.trim().replace(/^\./, "")).filter(Boolean);

function fill(data) {
  version = data.version;
  loaded = data.settings;
  const s = data.settings;
  const f = form.elements;
  f.require_password.checked = s.require_password;
  f.password_min_len.value = s.password_min_len;
  f.default_lifetime.value = days(s.default_lifetime);
  f.min_lifetime.value = days(s.min_lifetime);
  f.max_lifetime.value = days(s.max_lifetime);
  f.custom_keys_allowed.checked = s.custom_keys.allowed;
  f.custom_keys_min_len.value = s.custom_keys.min_len;
  f.device_binding.checked = s.device_binding;
  f.one_active.checked = s.one_active_share_per_recipient_item;
  f.daily_quota.value = s.shares_per_user_per_day ?? "";
  f.refused_extensions.value = s.refused_extensions.join(", ");
  f.site_title.value = s.branding.site_title;
  f.sender_name.value = s.branding.sender_name;
  f.logo_url.value = s.branding.logo_url ?? "";
  f.accent_color.value = s.branding.accent_color ?? "";
  f.favicon_url.value = s.branding.favicon_url ?? "";
  f.footer_text.value = s.branding.footer_text ?? "";
  f.stylesheet_url.value = s.branding.stylesheet_url ?? "";
  f.truncate_ip.checked = s.log_privacy.truncate_ip;
  f.retention.value = days(s.log_privacy.retention);
  f.default_access.value = s.share_defaults.access.kind;
  f.default_use_max.value = s.share_defaults.use_limit ? s.share_defaults.use_limit.max : "";
  f.default_use_unit.value = s.share_defaults.use_limit ? s.share_defaults.use_limit.unit : "download";
  f.default_clickwrap_title.value = s.share_defaults.clickwrap ? s.share_defaults.clickwrap.title : "";
  f.default_clickwrap_terms.value = s.share_defaults.clickwrap ? s.share_defaults.clickwrap.terms : "";
  f.default_registration.checked = s.share_defaults.registration !== null;
  $("#version").textContent = data.version === 0
    ? "initial settings (never saved)"
    : `version ${data.version}, saved by ${data.updated_by} at ${new Date(data.updated_at).toLocaleString()}`;
  form.dataset.loaded = "true";
}

function collect() {
  const f = form.elements;
  const useMax = count(f.default_use_max.value);
  const title = f.default_clickwrap_title.value.trim();
  return {
    require_password: f.require_password.checked,
    password_min_len: Number(f.password_min_len.value),
    default_lifetime: secs(f.default_lifetime.value),
    min_lifetime: secs(f.min_lifetime.value),
    max_lifetime: secs(f.max_lifetime.value),
    custom_keys: { allowed: f.custom_keys_allowed.checked, min_len: Number(f.custom_keys_min_len.value) },
    device_binding: f.device_binding.checked,
    one_active_share_per_recipient_item: f.one_active.checked,
    shares_per_user_per_day: count(f.daily_quota.value),
    refused_extensions: words(f.refused_extensions.value),
    branding: {
      site_title: f.site_title.value,
      sender_name: f.sender_name.value,
      logo_url: f.logo_url.value.trim() || null,
      accent_color: f.accent_color.value.trim() || null,
      favicon_url: f.favicon_url.value.trim() || null,
      footer_text: f.footer_text.value.trim() || null,
      stylesheet_url: f.stylesheet_url.value.trim() || null,
    },
    log_privacy: {
      truncate_ip: f.truncate_ip.checked,
      ipv4_prefix: loaded.log_privacy.ipv4_prefix,
      ipv6_prefix: loaded.log_privacy.ipv6_prefix,
      retention: secs(f.retention.value),
    },
    share_defaults: {
      // Verified-email patterns are kept as read (set them through the API).
      access: f.default_access.value === loaded.share_defaults.access.kind
        ? loaded.share_defaults.access
        : { kind: f.default_access.value },
      use_limit: useMax === null ? null : { max: useMax, unit: f.default_use_unit.value },
      registration: f.default_registration.checked
        ? (loaded.share_defaults.registration ?? { kind: "default" })
        : null,
      clickwrap: title ? { title, terms: f.default_clickwrap_terms.value } : null,
    },
  };
}

function status(text, ok) {
  const box = $("#status");
  box.textContent = text;
  box.className = ok ? "ok" : "err";
}

async function load() {
  try {
    fill(await call("GET"));
  } catch (e) {
    status(e.message, false);
  }
}

form.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  try {
    fill(await call("PATCH", { expected_version: version, settings: collect() }));
    status("Saved: in effect at once.", true);
  } catch (e) {
    status(e.field ? `${e.field}: ${e.message}` : e.message, false);
  }
});

$("#reload").addEventListener("click", load);
load();
