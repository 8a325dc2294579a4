//! The share page: breadcrumbs, the listing with each entry's actions, download-all,
//! upload and new-folder forms.

use super::{Notice, csrf_field, esc, notice_html, page, url_path, url_query};
use crate::client::Ctx;
use axum::http::StatusCode;
use axum::response::Response;
use sharelink_core::SharePath;
use sharelink_core::ports::EntryKind;
use sharelink_core::service::{Listed, ShareView};
use sharelink_core::{Capability, ItemKind, MediaType};

// ----- the share page ------------------------------------------------------------------

pub(crate) fn share_page(
    ctx: &Ctx,
    key: &str,
    view: &ShareView,
    path: &SharePath,
    entries: Option<&[Listed]>,
    notice: Option<Notice>,
) -> Response {
    let csrf = csrf_field(&ctx.csrf);
    let url = |rest: &str| esc(&ctx.share_url(key, rest));
    let can = |c: Capability| view.rights.has(c);
    let mut b = format!("<h1>{}</h1>", esc(&view.name));
    b.push_str(&notice_html(notice.as_ref()));
    if let Some(d) = &view.description {
        b.push_str(&format!("<p style=\"white-space:pre-wrap\">{}</p>", esc(d)));
    }
    if let Some(exp) = view.expires_at {
        b.push_str(&format!(
            "<p><small>Available until {}</small></p>",
            super::date(exp, view.time_zone.as_deref())
        ));
    }
    // Breadcrumbs.
    b.push_str(&format!("<nav><a href=\"{}\">Home</a>", url("")));
    let mut acc = String::new();
    for seg in path.segments() {
        if !acc.is_empty() {
            acc.push('/');
        }
        acc.push_str(seg);
        b.push_str(&format!(
            " / <a href=\"{}\">{}</a>",
            url(&format!("?p={}", url_query(&acc))),
            esc(seg)
        ));
    }
    b.push_str("</nav>");
    if let Some(entries) = entries {
        b.push_str(
            "<table><thead><tr><th></th><th>Name</th><th>Size</th><th>Modified</th><th></th></tr></thead><tbody>",
        );
        if entries.is_empty() {
            b.push_str("<tr><td colspan=\"4\">This folder is empty.</td></tr>");
        }
        for e in entries {
            let p = e.path.as_str();
            let (link, size) = match e.kind {
                EntryKind::Folder => (
                    format!(
                        "<a href=\"{}\">{}/</a>",
                        url(&format!("?p={}", url_query(p))),
                        esc(&e.name)
                    ),
                    String::new(),
                ),
                EntryKind::File if can(Capability::Download) => (
                    format!(
                        "<a href=\"{}\" download>{}</a>",
                        url(&format!("/dl/{}", url_path(p))),
                        esc(&e.name)
                    ),
                    super::size(e.size),
                ),
                EntryKind::File => (esc(&e.name), super::size(e.size)),
            };
            let mut actions = String::new();
            // A file without a preview gets no preview link (at the preview-only level,
            // no link at all: a preview never hands over the file).
            if e.kind == EntryKind::File
                && can(Capability::Preview)
                && MediaType::of(&e.name).has_preview(view.watermark.is_some())
            {
                actions.push_str(&format!(
                    "<a href=\"{}\">Preview</a> ",
                    url(&format!("/preview/{}", url_path(p)))
                ));
            }
            if can(Capability::Modify) && !path.is_root() {
                let hp = format!("<input type=\"hidden\" name=\"path\" value=\"{}\">", esc(p));
                actions.push_str(&format!(
                    "<form class=\"inline\" method=\"post\" action=\"{}\">{csrf}{hp}<input \
name=\"name\" value=\"{}\" aria-label=\"New name\" size=\"12\" required><button>Rename</button></form> \
<form class=\"inline\" method=\"post\" action=\"{}\">{csrf}{hp}<input name=\"into\" \
placeholder=\"folder\" aria-label=\"Destination folder\" size=\"10\" required><select name=\"op\">\
<option value=\"move\">Move</option><option value=\"copy\">Copy</option></select>\
<button>Go</button></form> <form class=\"inline\" method=\"post\" action=\"{}\">{csrf}{hp}\
<button>Delete</button></form>",
                    url("/rename"),
                    esc(&e.name),
                    url("/move"),
                    url("/delete")
                ));
            }
            b.push_str(&format!(
                "<tr><td>{}</td><td>{link}</td><td>{size}</td><td>{}</td><td>{actions}</td></tr>",
                // Ticked entries go to the "Download selected" form (outside the table).
                if can(Capability::Download) {
                    format!(
                        "<input type=\"checkbox\" name=\"p\" value=\"{}\" form=\"zip-selected\" aria-label=\"Select {}\">",
                        esc(p),
                        esc(&e.name)
                    )
                } else {
                    String::new()
                },
                if e.kind == EntryKind::File {
                    super::date(e.modified, view.time_zone.as_deref())
                } else {
                    String::new()
                }
            ));
        }
        b.push_str("</tbody></table>");
    }
    if can(Capability::Download) && entries.is_some_and(|e| !e.is_empty()) {
        let p = if path.is_root() {
            String::new()
        } else {
            format!(
                "<input type=\"hidden\" name=\"p\" value=\"{}\">",
                esc(path.as_str())
            )
        };
        b.push_str(&format!(
            "<form method=\"post\" action=\"{}\">{csrf}{p}<button>Download all (ZIP)</button></form>\
<form id=\"zip-selected\" method=\"post\" action=\"{}\">{csrf}<button>Download selected (ZIP)</button></form>",
            url("/zip"),
            url("/zip")
        ));
    }
    b.push_str(&upload_forms(ctx, key, view, path, entries.is_none()));
    if can(Capability::CreateFolder) && !path.is_root() {
        b.push_str(&format!(
            "<form method=\"post\" action=\"{}\">{csrf}<input type=\"hidden\" name=\"parent\" \
value=\"{}\"><input name=\"name\" placeholder=\"New folder\" aria-label=\"New folder name\" \
required> <button>Create folder</button></form>",
            url("/mkdir"),
            esc(path.as_str())
        ));
    }
    b.push_str(&format!(
        "<script src=\"{}\" defer></script>",
        esc(&format!("{}/assets/upload.js", ctx.prefix))
    ));
    super::page(StatusCode::OK, &view.name, &b)
}

/// The upload forms of the page, if the visitor may upload here: into the folder shown,
/// into the inbox of a download share, or at the top of a drop box (into its folder, or
/// the folder the visitor picks when it shares several). One form takes files, one a
/// whole folder; `upload.js` adds progress and drag-and-drop, and both work without it.
fn upload_forms(
    ctx: &Ctx,
    key: &str,
    view: &ShareView,
    path: &SharePath,
    unlisted: bool,
) -> String {
    let here = view.rights.has(Capability::Upload) && (!path.is_root() || unlisted);
    if !here && !view.has_inbox {
        return String::new();
    }
    let folders: Vec<&str> = view
        .items
        .iter()
        .filter(|(_, kind)| *kind == ItemKind::Folder)
        .map(|(name, _)| name.as_str())
        .collect();
    let folder_field = if path.is_root() && !view.has_inbox && folders.len() > 1 {
        let options: String = folders
            .iter()
            .map(|f| format!("<option value=\"{}\">{}</option>", esc(f), esc(f)))
            .collect();
        format!("<label>Into <select name=\"folder\" required>{options}</select></label> ")
    } else {
        format!(
            "<input type=\"hidden\" name=\"folder\" value=\"{}\">",
            esc(path.as_str())
        )
    };
    let csrf = csrf_field(&ctx.csrf);
    let action = esc(&ctx.share_url(key, "/upload"));
    let title = if view.has_inbox && !here {
        "Send files to the owner"
    } else {
        "Upload"
    };
    format!(
        "<section class=\"upload\"><h2>{title}</h2><form data-upload method=\"post\" \
enctype=\"multipart/form-data\" action=\"{action}\">{csrf}{folder_field}<label>Files <input \
type=\"file\" name=\"file\" multiple required></label> <button>Upload</button>\
<p class=\"hint\" hidden>Or drop files and folders here.</p></form>\
<form data-upload method=\"post\" enctype=\"multipart/form-data\" action=\"{action}\">{csrf}\
{folder_field}<label>Or a whole folder <input type=\"file\" name=\"file\" webkitdirectory \
multiple required></label> <button>Upload folder</button></form></section>"
    )
}

/// "3 files uploaded", as a person reads it.
fn files(n: usize) -> String {
    if n == 1 {
        "1 file".to_owned()
    } else {
        format!("{n} files")
    }
}

/// The notice on the page an upload returns to: what was stored, also where the visitor
/// cannot see it (a drop box lists nothing; an inbox is the owner's).
pub(crate) fn uploaded_notice(n: usize, view: &ShareView) -> Notice {
    let text = if n == 0 {
        return Notice {
            error: true,
            text: "No file was uploaded: none was chosen.".to_owned(),
        };
    } else if view.has_inbox && !view.rights.has(Capability::Upload) {
        format!("{} sent to the owner.", files(n))
    } else if !view.rights.has(Capability::List) {
        format!(
            "{} uploaded. The owner has received {}; this link does not show the folder's \
contents.",
            files(n),
            if n == 1 { "it" } else { "them" }
        )
    } else {
        format!("{} uploaded.", files(n))
    };
    Notice { error: false, text }
}

/// The page of a refused or failed upload: why, which file, what was stored before it,
/// and a link back to the upload form.
pub(crate) fn upload_failed_page(
    status: StatusCode,
    title: &str,
    message: &str,
    file: Option<&str>,
    stored: usize,
    back: &str,
) -> Response {
    let what = file.map_or_else(String::new, |f| format!("<strong>{}</strong>: ", esc(f)));
    let before = if stored == 0 {
        "Nothing was uploaded.".to_owned()
    } else {
        format!("Uploaded before it: {}.", files(stored))
    };
    page(
        status,
        title,
        &format!(
            "<h1>{}</h1><p class=\"msg err\" role=\"alert\">{what}{}</p><p>{before}</p>\
<p><a href=\"{}\">Back to the upload form</a></p>",
            esc(title),
            esc(message),
            esc(back)
        ),
    )
}
