//! The grid view, thumbnails and preview pages, as a visitor's browser meets them.

use super::*;
use image::{ImageFormat, Rgba, RgbaImage};
use sharelink_core::ports::EntryKind;

fn png(w: u32, h: u32, px: [u8; 4]) -> Vec<u8> {
    let img = RgbaImage::from_pixel(w, h, Rgba(px));
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), ImageFormat::Png)
        .unwrap();
    out
}

/// A PNG signature and header claiming `w`×`h` pixels, with no pixel data: a bomb's
/// fuse, refused before anything is unpacked.
fn png_header(w: u32, h: u32) -> Vec<u8> {
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    let mut out = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
    out.extend_from_slice(&13u32.to_be_bytes());
    out.extend_from_slice(&ihdr);
    out.extend_from_slice(&crc32fast::hash(&ihdr).to_be_bytes());
    // The start of the pixel data (a zlib header), then nothing.
    let idat = b"IDAT\x78\x9c";
    out.extend_from_slice(&2u32.to_be_bytes());
    out.extend_from_slice(idat);
    out.extend_from_slice(&crc32fast::hash(idat).to_be_bytes());
    out
}

/// The files of the gallery folder `docs/pics`.
async fn pictures(w: &World) -> Vec<u8> {
    let big = png(1000, 600, [200, 30, 30, 255]);
    put(&w.files, "docs/pics/big.png", &big).await;
    put(
        &w.files,
        "docs/pics/small.png",
        &png(40, 30, [0, 90, 0, 255]),
    )
    .await;
    put(&w.files, "docs/pics/notes.txt", b"<b>notes</b>").await;
    put(&w.files, "docs/pics/clip.mp4", b"not really a film").await;
    put(&w.files, "docs/pics/letter.docx", b"docx").await;
    put(
        &w.files,
        "docs/pics/sub/inner.png",
        &png(8, 8, [1, 2, 3, 255]),
    )
    .await;
    big
}

/// The cache objects in the file store (every file under `.sharelink/cache`).
async fn cached(w: &World) -> Vec<SharePath> {
    let mut out = Vec::new();
    let mut stack = vec![path(".sharelink/cache")];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = w.files.list(&dir).await else {
            continue;
        };
        for e in entries {
            match e.kind {
                EntryKind::Folder => stack.push(e.path),
                EntryKind::File => out.push(e.path),
            }
        }
    }
    out
}

/// The bytes of a file in the store.
async fn stored(w: &World, p: &SharePath) -> Vec<u8> {
    use futures::StreamExt;
    let mut read = w.files.read(p, None).await.unwrap();
    let mut out = Vec::new();
    while let Some(chunk) = read.stream.next().await {
        out.extend_from_slice(&chunk.unwrap());
    }
    out
}

async fn inside(w: &World, share: &Share) -> Browser {
    let mut b = Browser::default();
    let page = b.get(&w.router, &format!("/s/{}", share.key)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    b
}

#[tokio::test]
async fn a_thumbnail_is_a_small_picture_drawn_once_then_served_from_the_cache() {
    let w = world().await;
    let big = pictures(&w).await;
    // Downloads count, thumbnails are never one.
    let share = w
        .share(&["docs/pics"], |s| {
            s.use_limit = Some(UseLimit {
                max: 5,
                unit: UseUnit::Download,
            })
        })
        .await;
    let mut b = inside(&w, &share).await;
    let uses = w.uses(&share).await;
    let url = format!("/s/{}/thumb/pics/big.png", share.key);
    assert!(cached(&w).await.is_empty());
    let first = b.get(&w.router, &url).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text());
    assert_eq!(first.header("content-type"), "image/jpeg");
    assert_ne!(first.body.as_ref(), big.as_slice());
    let thumb = image::load_from_memory(&first.body).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (256, 154));
    assert_eq!(first.header("cache-control"), "private, no-cache");
    assert!(first.header("content-security-policy").contains("sandbox"));
    let etag = first.header("etag").to_owned();
    assert!(etag.len() > 60, "{etag}");

    // Drawn once and kept in the store's reserved cache area.
    let kept = cached(&w).await;
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(kept[0].as_str().starts_with(".sharelink/cache/thumbnails/"));
    let stored = stored(&w, &kept[0]).await;
    assert_eq!(stored, first.body.as_ref());

    // The second request is answered from the cache: a picture put in its place is what
    // comes back (nothing is drawn again).
    let stand_in = png(7, 7, [0, 0, 255, 255]);
    put(&w.files, kept[0].as_str(), &stand_in).await;
    let second = b.get(&w.router, &url).await;
    assert_eq!(second.status, StatusCode::OK);
    assert_eq!(second.body.as_ref(), stand_in.as_slice());
    assert_eq!(second.header("etag"), etag);

    // A browser that holds it revalidates for a 304.
    let again = b
        .send(
            &w.router,
            Request::get(&url)
                .header(header::IF_NONE_MATCH, &etag)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());

    // A new version of the picture is a new thumbnail.
    put(
        &w.files,
        "docs/pics/big.png",
        &png(300, 600, [0, 0, 0, 255]),
    )
    .await;
    let changed = b.get(&w.router, &url).await;
    assert_eq!(changed.status, StatusCode::OK);
    assert_ne!(changed.header("etag"), etag);
    let thumb = image::load_from_memory(&changed.body).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (128, 256));
    assert_eq!(cached(&w).await.len(), 2);

    // A small picture keeps its size.
    let small = b
        .get(&w.router, &format!("/s/{}/thumb/pics/small.png", share.key))
        .await;
    let thumb = image::load_from_memory(&small.body).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (40, 30));

    settle().await;
    assert_eq!(w.uses(&share).await, uses, "a thumbnail spends no use");
}

#[tokio::test]
async fn thumbnails_obey_the_preview_policy_and_never_hand_out_the_original() {
    let w = world().await;
    pictures(&w).await;
    let small = png(40, 30, [0, 90, 0, 255]);
    let preview_only = w
        .share(&["docs/pics"], |s| s.allowed = AllowedActions::PreviewOnly)
        .await;
    let mut b = inside(&w, &preview_only).await;
    let thumb = |key: &str, p: &str| format!("/s/{key}/thumb/{p}");
    let key = preview_only.key.to_string();
    let res = b.get(&w.router, &thumb(&key, "pics/small.png")).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_ne!(res.body.as_ref(), small.as_slice(), "the original");
    // Files without a preview have no thumbnail; nor do folders, nor paths outside.
    for p in [
        "pics/letter.docx",
        "pics/notes.txt",
        "pics/sub",
        "pics/missing.png",
        "../reports/a.txt",
        ".sharelink/cache",
    ] {
        let res = b.get(&w.router, &thumb(&key, p)).await;
        assert!(
            res.status.is_client_error(),
            "{p}: {} {}",
            res.status,
            res.text()
        );
        assert!(!res.text().contains("notes"), "{p}");
    }

    // A drop box previews nothing: no thumbnail either.
    let drop = w
        .share(&["docs/pics"], |s| s.allowed = AllowedActions::Upload)
        .await;
    let mut d = Browser::default();
    d.get(&w.router, &format!("/s/{}", drop.key)).await;
    let res = d
        .get(&w.router, &thumb(&drop.key.to_string(), "pics/small.png"))
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.text());

    // Where each preview spends a use, a thumbnail would be a free one: there is none,
    // and the grid shows icons.
    let counted = w
        .share(&["docs/pics"], |s| {
            s.use_limit = Some(UseLimit {
                max: 50,
                unit: UseUnit::Operation,
            })
        })
        .await;
    let mut c = Browser::default();
    let page = c
        .get(&w.router, &format!("/s/{}?view=grid", counted.key))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let csrf = c.csrf();
    c.post_form(
        &w.router,
        &format!("/s/{}/open", counted.key),
        &[("csrf", &csrf)],
    )
    .await;
    let page = c
        .get(&w.router, &format!("/s/{}?view=grid", counted.key))
        .await;
    assert!(page.text().contains("class=\"grid\""), "{}", page.text());
    assert!(!page.text().contains("/thumb/"), "{}", page.text());
    let uses = w.uses(&counted).await;
    let res = c
        .get(
            &w.router,
            &thumb(&counted.key.to_string(), "pics/small.png"),
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert_eq!(w.uses(&counted).await, uses);

    // Without a session, nothing.
    let res = Browser::default()
        .get(&w.router, &thumb(&key, "pics/small.png"))
        .await;
    assert!(res.status.is_client_error(), "{}", res.status);
}

#[tokio::test]
async fn a_watermarked_share_marks_each_thumbnail_for_its_visitor() {
    let w = world().await;
    pictures(&w).await;
    let share = w
        .share(&["docs/pics"], |s| {
            s.allowed = AllowedActions::PreviewOnly;
            s.watermark = Some(Watermark {
                text: "seen by {ip}".into(),
            });
        })
        .await;
    let mut b = inside(&w, &share).await;
    let res = b
        .get(&w.router, &format!("/s/{}/thumb/pics/big.png", share.key))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(res.header("content-type"), "image/png");
    assert_eq!(res.header("cache-control"), "private, no-store");
    assert_eq!(res.header("etag"), "");
    let marked = image::load_from_memory(&res.body).unwrap().into_rgba8();
    assert_eq!(marked.dimensions(), (256, 154));
    // The cache keeps the picture unmarked (the mark names one visitor).
    let kept = cached(&w).await;
    assert_eq!(kept.len(), 1);
    let plain = image::load_from_memory(&stored(&w, &kept[0]).await)
        .unwrap()
        .into_rgba8();
    let changed = marked
        .pixels()
        .zip(plain.pixels())
        .filter(|(a, b)| a.0 != b.0)
        .count();
    assert!(
        changed > 256 * 154 / 50,
        "only {changed} pixels carry the mark"
    );
    // Files that cannot be marked have no preview, so no thumbnail.
    let res = b
        .get(&w.router, &format!("/s/{}/thumb/pics/notes.txt", share.key))
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn huge_and_broken_pictures_are_refused_cleanly() {
    let w = world().await;
    put(&w.files, "docs/pics/bomb.png", &png_header(60_000, 60_000)).await;
    put(&w.files, "docs/pics/dense.png", &png_header(8_000, 8_000)).await;
    put(
        &w.files,
        "docs/pics/wide.png",
        &png(20_000, 1, [0, 0, 0, 255]),
    )
    .await;
    put(
        &w.files,
        "docs/pics/broken.jpg",
        b"\xff\xd8\xff not a jpeg at all",
    )
    .await;
    let share = w.share(&["docs/pics"], |_| {}).await;
    let mut b = inside(&w, &share).await;
    for (name, status) in [
        ("bomb.png", StatusCode::PAYLOAD_TOO_LARGE),
        ("dense.png", StatusCode::PAYLOAD_TOO_LARGE),
        ("wide.png", StatusCode::PAYLOAD_TOO_LARGE),
        ("broken.jpg", StatusCode::UNSUPPORTED_MEDIA_TYPE),
    ] {
        let res = b
            .send(
                &w.router,
                Request::get(format!("/s/{}/thumb/pics/{name}", share.key))
                    .header(header::ACCEPT, "application/json")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(res.status, status, "{name}: {}", res.text());
        let json: serde_json::Value = serde_json::from_slice(&res.body).unwrap();
        assert!(
            json["error"].as_str().unwrap().starts_with("preview_"),
            "{json}"
        );
    }
    assert!(cached(&w).await.is_empty());
}

#[tokio::test]
async fn the_grid_view_shows_lazy_thumbnails_without_javascript() {
    let w = world().await;
    pictures(&w).await;
    let share = w.share(&["docs/pics"], |_| {}).await;
    let mut b = inside(&w, &share).await;
    let key = share.key.to_string();
    let list = b
        .get(&w.router, &format!("/s/{key}?p=pics&sort=size&order=desc"))
        .await;
    assert!(list.text().contains("<table class=\"listing\">"));
    let html = scraper::Html::parse_document(&list.text());
    let sel = |s: &str| scraper::Selector::parse(s).unwrap();
    // The switcher is a link, keeping the folder and the order.
    let to_grid = html
        .select(&sel("nav.views a"))
        .next()
        .expect("a link to the grid")
        .attr("href")
        .unwrap()
        .to_owned();
    assert_eq!(
        to_grid,
        format!("/s/{key}?p=pics&sort=size&order=desc&view=grid")
    );
    let grid = b.get(&w.router, &to_grid).await;
    assert_eq!(grid.status, StatusCode::OK);
    let html = scraper::Html::parse_document(&grid.text());
    assert!(html.select(&sel("table.listing")).next().is_none());
    let imgs: Vec<_> = html.select(&sel("ul.grid img")).collect();
    let srcs: Vec<&str> = imgs.iter().map(|i| i.attr("src").unwrap()).collect();
    assert_eq!(
        srcs,
        [
            format!("/s/{key}/thumb/pics/big.png"),
            format!("/s/{key}/thumb/pics/small.png")
        ]
    );
    for img in &imgs {
        assert_eq!(img.attr("loading"), Some("lazy"));
        assert_eq!(img.attr("alt"), Some(""));
    }
    // Folders and other files show their type's icon; each tile links to its preview
    // page (or its download, or the folder).
    let tiles: Vec<String> = html
        .select(&sel("ul.grid li"))
        .map(|li| li.html())
        .collect();
    let tile = |name: &str| tiles.iter().find(|t| t.contains(name)).unwrap().clone();
    assert!(tile("sub/").contains("i-folder"));
    assert!(tile("notes.txt").contains("i-text"));
    assert!(tile("notes.txt").contains(&format!("/s/{key}/view/pics/notes.txt")));
    assert!(tile("letter.docx").contains(&format!("/s/{key}/dl/pics/letter.docx")));
    assert!(tile("clip.mp4").contains("i-video"));
    // No script is needed: the page's only script is the optional upload helper.
    assert!(!grid.text().contains("<script>"));
    // The order stays (size, descending: the big picture first).
    assert!(grid.text().find("big.png") < grid.text().find("small.png"));

    // The choice is remembered: the next folder opens in the grid too, until the
    // visitor switches back.
    let next = b.get(&w.router, &format!("/s/{key}?p=pics/sub")).await;
    assert!(
        next.text().contains("<ul class=\"grid\">"),
        "{}",
        next.text()
    );
    let back = b
        .get(&w.router, &format!("/s/{key}?p=pics&view=list"))
        .await;
    assert!(back.text().contains("<table class=\"listing\">"));
    let next = b.get(&w.router, &format!("/s/{key}?p=pics/sub")).await;
    assert!(next.text().contains("<table class=\"listing\">"));

    // The grid page stays light.
    let page = b
        .get(&w.router, &format!("/s/{key}?p=pics&view=grid"))
        .await;
    let script = b.get(&w.router, "/assets/upload.js").await;
    let weight = page.body.len() + script.body.len();
    assert!(weight < 60 * 1024, "{weight} bytes");
}

#[tokio::test]
async fn preview_pages_embed_pictures_players_and_sandboxed_documents() {
    let w = world().await;
    pictures(&w).await;
    put(&w.files, "docs/pics/song.mp3", b"ID3 sound").await;
    put(&w.files, "docs/pics/paper.pdf", b"%PDF-1.4").await;
    let share = w.share(&["docs/pics"], |_| {}).await;
    let mut b = inside(&w, &share).await;
    let key = share.key.to_string();
    let view = |p: &str| format!("/s/{key}/view/pics/{p}");
    let src = |p: &str| format!("/s/{key}/preview/pics/{p}");
    for (file, element) in [
        (
            "big.png",
            format!("<img src=\"{}\" alt=\"big.png\">", src("big.png")),
        ),
        (
            "clip.mp4",
            format!("<video src=\"{}\" controls", src("clip.mp4")),
        ),
        (
            "song.mp3",
            format!("<audio src=\"{}\" controls", src("song.mp3")),
        ),
        (
            "paper.pdf",
            format!(
                "<object data=\"{}\" type=\"application/pdf\"",
                src("paper.pdf")
            ),
        ),
        (
            "notes.txt",
            format!("<iframe src=\"{}\" sandbox", src("notes.txt")),
        ),
    ] {
        let page = b.get(&w.router, &view(file)).await;
        assert_eq!(page.status, StatusCode::OK, "{file}: {}", page.text());
        assert!(page.text().contains(&element), "{file}: {}", page.text());
        assert!(page.text().contains(&format!("/s/{key}/dl/pics/{file}")));
        let csp = page.header("content-security-policy");
        for d in ["media-src 'self'", "object-src 'self'", "frame-src 'self'"] {
            assert!(csp.contains(d), "{csp}");
        }
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    }
    // The text itself is served sandboxed, never as HTML, and only this site frames it.
    let text = b.get(&w.router, &src("notes.txt")).await;
    assert_eq!(text.header("content-type"), "text/plain; charset=utf-8");
    let csp = text.header("content-security-policy");
    assert!(csp.starts_with("sandbox;"), "{csp}");
    assert!(csp.contains("frame-ancestors 'self'"), "{csp}");
    // Films play with ranges.
    let part = b
        .send(
            &w.router,
            Request::get(src("clip.mp4"))
                .header(header::RANGE, "bytes=4-9")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(part.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.body.as_ref(), b"really");
    // No preview page for a file without a preview.
    let none = b.get(&w.router, &view("letter.docx")).await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);

    // Where a preview spends a use, the page sends the visitor to the preview itself
    // (which asks first).
    let counted = w
        .share(&["docs/pics"], |s| {
            s.use_limit = Some(UseLimit {
                max: 50,
                unit: UseUnit::Operation,
            })
        })
        .await;
    let mut c = Browser::default();
    c.get(&w.router, &format!("/s/{}", counted.key)).await;
    let csrf = c.csrf();
    c.post_form(
        &w.router,
        &format!("/s/{}/open", counted.key),
        &[("csrf", &csrf)],
    )
    .await;
    let res = c
        .send(
            &w.router,
            Request::get(format!("/s/{}/view/pics/big.png", counted.key))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert!(res.status.is_redirection(), "{}", res.status);
    assert_eq!(
        res.header("location"),
        format!("/s/{}/preview/pics/big.png", counted.key)
    );
}
