//! The share page: breadcrumbs, the listing with each entry's actions, download-all,
//! upload and new-folder forms; the notices of uploads; the embeddable widget.

use super::{Layout, Look, Notice, Sort, SortKey, url_path, url_query, val};
use crate::client::Ctx;
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use sharelink_core::SharePath;
use sharelink_core::ports::EntryKind;
use sharelink_core::service::{Listed, ShareView};
use sharelink_core::{Capability, ItemKind, MediaType, Preview};

/// A breadcrumb.
#[derive(Debug, serde::Serialize)]
struct Crumb {
    name: String,
    href: String,
}

/// A row of the listing.
#[derive(Debug, serde::Serialize)]
struct Row<'a> {
    name: &'a str,
    path: &'a str,
    is_folder: bool,
    /// The icon's name in the page's sprite (`folder`, `image`, `pdf`, …).
    icon: &'static str,
    /// The folder's page, or the file's download (none when the visitor may not
    /// download).
    href: Option<String>,
    size: String,
    modified: String,
    /// The file's preview: its page (with the picture, player or document), or, where a
    /// preview spends a use, the preview itself (behind its confirmation).
    preview_href: Option<String>,
    /// The picture's thumbnail, for the grid (none: the icon stands for it).
    thumb: Option<String>,
}

/// A link of the list/grid switcher.
#[derive(Debug, serde::Serialize)]
struct Switch {
    label: String,
    href: String,
    current: bool,
}

/// A sortable column's header.
#[derive(Debug, serde::Serialize)]
struct Column {
    label: String,
    /// The listing sorted by this column (the other way round when it already is).
    href: String,
    /// `ascending` or `descending` when the listing is sorted by it.
    sorted: Option<&'static str>,
}

/// The icon of a file of this name.
fn icon(name: &str) -> &'static str {
    let essence = MediaType::of(name).essence;
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match essence.split('/').next().unwrap_or_default() {
        "image" => "image",
        "audio" => "audio",
        "video" => "video",
        _ if essence == "application/pdf" => "pdf",
        _ if matches!(
            ext.as_str(),
            "zip" | "tar" | "gz" | "tgz" | "bz2" | "xz" | "7z" | "rar" | "zst"
        ) =>
        {
            "archive"
        }
        "text" => "text",
        _ if matches!(
            ext.as_str(),
            "md" | "json"
                | "csv"
                | "xml"
                | "yaml"
                | "yml"
                | "toml"
                | "doc"
                | "docx"
                | "odt"
                | "rtf"
                | "xls"
                | "xlsx"
                | "ods"
                | "ppt"
                | "pptx"
                | "odp"
        ) =>
        {
            "text"
        }
        _ => "file",
    }
}

/// `entries` in the order `sort` asks, folders first.
pub(crate) fn sort_entries(entries: &mut [&Listed], sort: Sort) {
    entries.sort_by(|a, b| {
        let folders_first = (a.kind != EntryKind::Folder).cmp(&(b.kind != EntryKind::Folder));
        let by_name = || a.name.to_lowercase().cmp(&b.name.to_lowercase());
        let order = match sort.key {
            SortKey::Name => by_name(),
            SortKey::Size => a.size.cmp(&b.size).then_with(by_name),
            SortKey::Date => a.modified.cmp(&b.modified).then_with(by_name),
        };
        folders_first.then(if sort.desc { order.reverse() } else { order })
    });
}

/// The upload forms' values.
#[derive(Debug, serde::Serialize)]
struct Upload<'a> {
    title: String,
    action: String,
    /// The folders a visitor picks from (a drop box of several folders, at its top).
    folders: Vec<&'a str>,
    /// The folder uploads go to otherwise.
    folder: &'a str,
}

/// The share page of folder `path` (`entries`: its listing, if the visitor may list).
pub(crate) fn share_page(
    ctx: &Ctx,
    key: &str,
    view: &ShareView,
    path: &SharePath,
    entries: Option<&[Listed]>,
    notice: Option<Notice>,
) -> Response {
    let look = &ctx.look;
    let url = |rest: &str| ctx.share_url(key, rest);
    let can = |c: Capability| view.rights.has(c);
    let zone = view.time_zone.as_deref();
    let mut crumbs = vec![Crumb {
        name: look.text("breadcrumb-home"),
        href: url(""),
    }];
    let mut acc = String::new();
    for seg in path.segments() {
        if !acc.is_empty() {
            acc.push('/');
        }
        acc.push_str(seg);
        crumbs.push(Crumb {
            name: seg.to_owned(),
            href: url(&format!("?p={}", url_query(&acc))),
        });
    }
    let previewable = |e: &Listed| {
        e.kind == EntryKind::File
            && can(Capability::Preview)
            && MediaType::of(&e.name).has_preview(view.watermark.is_some())
    };
    let rows: Option<Vec<Row<'_>>> = entries.map(|entries| {
        let mut sorted: Vec<&Listed> = entries.iter().collect();
        sort_entries(&mut sorted, look.sort);
        sorted
            .into_iter()
            .map(|e| {
                let p = e.path.as_str();
                let file = e.kind == EntryKind::File;
                Row {
                    name: &e.name,
                    path: p,
                    is_folder: !file,
                    icon: if file { icon(&e.name) } else { "folder" },
                    href: if !file {
                        Some(url(&format!("?p={}", url_query(p))))
                    } else if can(Capability::Download) {
                        Some(url(&format!("/dl/{}", url_path(p))))
                    } else {
                        None
                    },
                    size: if file {
                        look.size(e.size)
                    } else {
                        String::new()
                    },
                    // A folder's date when the store knows one.
                    modified: if file || e.modified.unix_timestamp() > 0 {
                        look.date(e.modified, zone)
                    } else {
                        String::new()
                    },
                    // A file without a preview gets no preview link (at the preview-only
                    // level, no link at all: a preview never hands over the file).
                    preview_href: previewable(e).then(|| {
                        let seg = if view.thumbnails { "view" } else { "preview" };
                        url(&format!("/{seg}/{}", url_path(p)))
                    }),
                    thumb: (view.thumbnails
                        && previewable(e)
                        && MediaType::of(&e.name).preview == Some(Preview::Image))
                    .then(|| url(&format!("/thumb/{}", url_path(p)))),
                }
            })
            .collect()
    });
    let folder_query = if path.is_root() {
        String::new()
    } else {
        format!("p={}&", url_query(path.as_str()))
    };
    let columns: Vec<Column> = [
        (SortKey::Name, "column-name"),
        (SortKey::Size, "column-size"),
        (SortKey::Date, "column-modified"),
    ]
    .into_iter()
    .map(|(key, label)| {
        let current = look.sort.key == key;
        let desc = current && !look.sort.desc;
        Column {
            label: look.text(label),
            href: url(&format!(
                "?{folder_query}sort={}&order={}",
                key.as_str(),
                if desc { "desc" } else { "asc" }
            )),
            sorted: current.then_some(if look.sort.desc {
                "descending"
            } else {
                "ascending"
            }),
        }
    })
    .collect();
    // The switcher keeps the folder and the order; the choice is remembered (a cookie).
    let order = format!(
        "sort={}&order={}",
        look.sort.key.as_str(),
        if look.sort.desc { "desc" } else { "asc" }
    );
    let layouts: Vec<Switch> = [(Layout::List, "view-list"), (Layout::Grid, "view-grid")]
        .into_iter()
        .map(|(layout, label)| Switch {
            label: look.text(label),
            href: url(&format!("?{folder_query}{order}&view={}", layout.as_str())),
            current: look.layout == layout,
        })
        .collect();
    let show_zip = can(Capability::Download) && entries.is_some_and(|e| !e.is_empty());
    let values = context! {
        name => &view.name,
        description => view.description.as_deref(),
        expires => view.expires_at.map(|at| look.date(at, zone)),
        notice => val(notice),
        crumbs => val(crumbs),
        entries => val(rows),
        columns => val(columns),
        grid => look.layout == Layout::Grid,
        layouts => val(layouts),
        can_download => can(Capability::Download),
        can_modify => can(Capability::Modify) && !path.is_root(),
        csrf => &ctx.csrf,
        urls => context! {
            rename => url("/rename"),
            move => url("/move"),
            delete => url("/delete"),
            zip => url("/zip"),
            mkdir => url("/mkdir"),
            script => format!("{}/assets/upload.js", ctx.prefix),
        },
        zip_path => (!path.is_root()).then(|| path.as_str()),
        show_zip,
        upload => val(upload_forms(ctx, key, view, path, entries.is_none())),
        mkdir_parent => (can(Capability::CreateFolder) && !path.is_root()).then(|| path.as_str()),
    };
    look.render(StatusCode::OK, "share.html", &view.name, values)
}

/// The page of one file's preview (`path`, a file the visitor may preview): the
/// picture, the player, the PDF or the text in a sandboxed frame, all loaded from the
/// preview route; a link to download it when the visitor may, and back to its folder.
pub(crate) fn preview_page(ctx: &Ctx, key: &str, view: &ShareView, path: &SharePath) -> Response {
    let look = &ctx.look;
    let url = |rest: &str| ctx.share_url(key, rest);
    let name = path.file_name().unwrap_or_default();
    let kind = match MediaType::of(name).preview {
        Some(Preview::Image) => "image",
        Some(Preview::Video) => "video",
        Some(Preview::Audio) => "audio",
        Some(Preview::Document) => "document",
        _ => "text",
    };
    let folder = path.parent().unwrap_or_default();
    let back = if folder.is_root() {
        url("")
    } else {
        url(&format!("?p={}", url_query(folder.as_str())))
    };
    let values = context! {
        name,
        kind,
        src => url(&format!("/preview/{}", url_path(path.as_str()))),
        download => view
            .rights
            .has(Capability::Download)
            .then(|| url(&format!("/dl/{}", url_path(path.as_str())))),
        back,
    };
    look.render_embedding(StatusCode::OK, "preview.html", name, values)
}

/// The upload forms of the page, if the visitor may upload here: into the folder shown,
/// into the inbox of a download share, or at the top of a drop box (into its folder, or
/// the folder the visitor picks when it shares several). One form takes files, one a
/// whole folder; `upload.js` adds progress and drag-and-drop, and both work without it.
fn upload_forms<'a>(
    ctx: &Ctx,
    key: &str,
    view: &'a ShareView,
    path: &'a SharePath,
    unlisted: bool,
) -> Option<Upload<'a>> {
    let here = view.rights.has(Capability::Upload) && (!path.is_root() || unlisted);
    if !here && !view.has_inbox {
        return None;
    }
    let folders: Vec<&str> = view
        .items
        .iter()
        .filter(|(_, kind)| *kind == ItemKind::Folder)
        .map(|(name, _)| name.as_str())
        .collect();
    let pick = path.is_root() && !view.has_inbox && folders.len() > 1;
    let title = if view.has_inbox && !here {
        "upload-title-inbox"
    } else {
        "upload-title"
    };
    Some(Upload {
        title: ctx.look.text(title),
        action: ctx.share_url(key, "/upload"),
        folders: if pick { folders } else { Vec::new() },
        folder: path.as_str(),
    })
}

/// The notice on the page an upload returns to: what was stored, also where the visitor
/// cannot see it (a drop box lists nothing; an inbox is the owner's).
pub(crate) fn uploaded_notice(look: &Look, n: usize, view: &ShareView) -> Notice {
    let (error, text) = if n == 0 {
        (true, look.text("upload-none-chosen"))
    } else if view.has_inbox && !view.rights.has(Capability::Upload) {
        (false, look.count("upload-sent-to-owner", n))
    } else if !view.rights.has(Capability::List) {
        (false, look.count("upload-done-unlisted", n))
    } else {
        (false, look.count("upload-done", n))
    };
    Notice { error, text }
}

/// The page of a refused or failed upload: why, which file, what was stored before it,
/// and a link back to the upload form.
pub(crate) fn upload_failed_page(
    ctx: &Ctx,
    status: StatusCode,
    title: &str,
    message: &str,
    file: Option<&str>,
    stored: usize,
    back: &str,
) -> Response {
    ctx.look.render(
        status,
        "upload_failed.html",
        title,
        context! { title, message, file, stored, back },
    )
}

/// A row of the widget.
#[derive(Debug, serde::Serialize)]
struct EmbedRow<'a> {
    name: &'a str,
    is_folder: bool,
    size: String,
}

/// What the widget shows.
pub(crate) enum Embedded<'a> {
    /// The share's name and its top listing, if that may be shown without a session.
    Share(&'a ShareView, Option<&'a [Listed]>),
    /// Only a link (a gated share).
    LinkOnly,
    /// The refusal's text.
    Refused(&'a str),
}

/// The embeddable widget's page: what `shown` says, and a link that opens the share.
pub(crate) fn embed_page(
    ctx: &Ctx,
    status: StatusCode,
    key: &str,
    shown: Embedded<'_>,
) -> Response {
    let look = &ctx.look;
    let link = ctx.share_url(key, "");
    let values = match shown {
        Embedded::Share(view, entries) => {
            let rows: Option<Vec<EmbedRow<'_>>> = entries.map(|entries| {
                entries
                    .iter()
                    .map(|e| EmbedRow {
                        name: &e.name,
                        is_folder: e.kind == EntryKind::Folder,
                        size: if e.kind == EntryKind::File {
                            look.size(e.size)
                        } else {
                            String::new()
                        },
                    })
                    .collect()
            });
            context! { heading => &view.name, entries => val(rows), link }
        }
        Embedded::LinkOnly => context! { heading => look.text("title-shared-files"), link },
        Embedded::Refused(error) => context! { error, link },
    };
    look.render(
        status,
        "embed.html",
        &look.text("title-shared-files"),
        values,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::OffsetDateTime;

    fn entry(name: &str, kind: EntryKind, size: u64, at: i64) -> Listed {
        Listed {
            name: name.to_owned(),
            path: SharePath::parse(name).expect("a path"),
            kind,
            size,
            modified: OffsetDateTime::from_unix_timestamp(at).expect("an instant"),
        }
    }

    fn names(entries: &[Listed], sort: Sort) -> Vec<&str> {
        let mut refs: Vec<&Listed> = entries.iter().collect();
        sort_entries(&mut refs, sort);
        refs.into_iter().map(|e| e.name.as_str()).collect()
    }

    #[test]
    fn listings_sort_by_name_size_or_date_with_folders_first() {
        let entries = vec![
            entry("b.txt", EntryKind::File, 30, 300),
            entry("Zeta", EntryKind::Folder, 0, 0),
            entry("a.pdf", EntryKind::File, 10, 200),
            entry("C.png", EntryKind::File, 20, 100),
            entry("alpha", EntryKind::Folder, 0, 0),
        ];
        let by = |key: &str, order: &str| Sort::parse(Some(key), Some(order));
        assert_eq!(
            names(&entries, Sort::default()),
            ["alpha", "Zeta", "a.pdf", "b.txt", "C.png"]
        );
        assert_eq!(
            names(&entries, by("name", "desc")),
            ["Zeta", "alpha", "C.png", "b.txt", "a.pdf"]
        );
        assert_eq!(
            names(&entries, by("size", "asc")),
            ["alpha", "Zeta", "a.pdf", "C.png", "b.txt"]
        );
        assert_eq!(
            names(&entries, by("date", "desc")),
            ["Zeta", "alpha", "b.txt", "a.pdf", "C.png"]
        );
        // Anything else is by name, ascending.
        assert_eq!(Sort::parse(Some("<x>"), Some("sideways")), Sort::default());
    }

    #[test]
    fn files_get_the_icon_of_their_type() {
        for (name, expected) in [
            ("photo.JPG", "image"),
            ("song.mp3", "audio"),
            ("clip.mp4", "video"),
            ("report.pdf", "pdf"),
            ("notes.txt", "text"),
            ("sheet.xlsx", "text"),
            ("backup.tar.gz", "archive"),
            ("setup.exe", "file"),
            ("no-extension", "file"),
        ] {
            assert_eq!(icon(name), expected, "{name}");
        }
    }
}
