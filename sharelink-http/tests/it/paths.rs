//! Visitor routes answer a wrong kind of path (a file where a folder is needed, a folder
//! where a file is, a missing folder, a taken name) with a typed 404 or 409 and a JSON
//! `{error, message}` body, never a 500; and names with invisible or direction-changing
//! characters are refused (rename, new folder) or cleaned (upload). Over a real socket.

use super::*;
use sharelink_core::ports::EntryKind;

/// A full-level share of `docs/reports`, served on a socket, with a JSON client inside.
async fn full_share() -> (World, Remote, String, tokio::task::JoinHandle<()>) {
    let w = world().await;
    let share = w
        .share(&["docs/reports"], |s| s.allowed = AllowedActions::Full)
        .await;
    let (addr, server) = serve(w.router.clone()).await;
    let mut r = Remote::new(addr);
    let key = share.key.to_string();
    let (status, body) = r.open(&key, "").await;
    assert_eq!(status, 200, "{body}");
    (w, r, key, server)
}

/// Checks a JSON error: status, exactly the keys `error` and `message`, the code, and
/// that the message names `names`.
fn assert_error(what: &str, (status, body): (u16, String), want: u16, code: &str, names: &str) {
    assert_eq!(status, want, "{what}: {body}");
    let json: serde_json::Value =
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {body}"));
    let object = json.as_object().unwrap_or_else(|| panic!("{what}: {body}"));
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["error", "message"], "{what}: {body}");
    assert_eq!(json["error"], code, "{what}: {body}");
    let message = json["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(names),
        "{what}: {message:?} should name {names:?}"
    );
}

async fn upload(r: &mut Remote, key: &str, folder: &str, name: &str) -> (u16, String) {
    let csrf = r.cookies.get("sl_csrf").cloned().unwrap_or_default();
    let body = multipart(
        "B0und",
        &[
            ("csrf", None, csrf.as_bytes()),
            ("folder", None, folder.as_bytes()),
            ("file", Some(name), b"%PDF? no: MZ"),
        ],
    );
    let req = r
        .client
        .post(format!("{}/s/{key}/upload", r.base))
        .header("content-type", "multipart/form-data; boundary=B0und")
        .body(body);
    r.send(req).await
}

#[tokio::test]
async fn every_wrong_kind_of_path_is_a_typed_404_or_409() {
    let (w, mut r, key, server) = full_share().await;
    let base = format!("{}/s/{key}", r.base);
    let get = |path: &str| format!("{base}{path}");

    let res = r.send(r.client.get(get("?p=reports/a.txt"))).await;
    assert_error("list a file", res, 404, "not_a_folder", "reports/a.txt");
    let res = r.send(r.client.get(get("/dl/reports/sub"))).await;
    assert_error("download a folder", res, 404, "not_a_file", "reports/sub");
    // A folder has no preview: refused by the rule, before the store is asked.
    let res = r.send(r.client.get(get("/preview/reports/sub"))).await;
    assert_error(
        "preview a folder",
        res,
        404,
        "preview_unavailable",
        "no preview",
    );

    let mkdir = format!("/s/{key}/mkdir");
    for parent in ["reports/a.txt", "reports/missing"] {
        let res = r.form(&mkdir, &[("parent", parent), ("name", "new")]).await;
        assert_error(
            &format!("mkdir in {parent}"),
            res,
            404,
            "not_a_folder",
            parent,
        );
    }
    let res = r
        .form(&mkdir, &[("parent", "reports"), ("name", "a.txt")])
        .await;
    assert_error("mkdir over a file", res, 409, "already_exists", "taken");

    let moves = format!("/s/{key}/move");
    for op in ["move", "copy"] {
        for into in ["reports/a.txt", "reports/missing"] {
            let res = r
                .form(
                    &moves,
                    &[("path", "reports/sub"), ("into", into), ("op", op)],
                )
                .await;
            assert_error(&format!("{op} into {into}"), res, 404, "not_a_folder", into);
        }
        let res = r
            .form(
                &moves,
                &[("path", "reports/sub"), ("into", "reports/sub"), ("op", op)],
            )
            .await;
        assert_error(
            &format!("{op} into itself"),
            res,
            409,
            "into_itself",
            "itself",
        );
    }

    let rename = format!("/s/{key}/rename");
    for (path, name) in [("reports/a.txt", "sub"), ("reports/sub", "page.html")] {
        let res = r.form(&rename, &[("path", path), ("name", name)]).await;
        assert_error(
            &format!("rename {path} onto {name}"),
            res,
            409,
            "already_exists",
            "taken",
        );
    }

    let res = upload(&mut r, &key, "reports/a.txt", "up.txt").await;
    assert_error(
        "upload into a file",
        res,
        404,
        "not_a_folder",
        "reports/a.txt",
    );

    // Nothing was made, moved or spoiled.
    for gone in [
        "docs/reports/missing",
        "docs/reports/a.txt/up.txt",
        "docs/reports/a.txt/new",
    ] {
        assert!(w.files.stat(&path(gone)).await.is_err(), "{gone} exists");
    }
    assert_eq!(
        w.files.stat(&path("docs/reports/sub")).await.unwrap().kind,
        EntryKind::Folder
    );
    let (_, body) = r.send(r.client.get(get("/dl/reports/a.txt"))).await;
    assert_eq!(body, "alpha");
    server.abort();
}

#[tokio::test]
async fn names_that_pose_as_others_are_refused_or_cleaned() {
    let (w, mut r, key, server) = full_share().await;
    let hostile = "invoice\u{202E}fdp.exe";

    // Typed by a person: refused, naming the character.
    let res = r
        .form(
            &format!("/s/{key}/rename"),
            &[("path", "reports/a.txt"), ("name", hostile)],
        )
        .await;
    assert_error("rename", res, 400, "bad_path", "U+202E");
    let res = r
        .form(
            &format!("/s/{key}/mkdir"),
            &[("parent", "reports"), ("name", "new\u{200B}folder")],
        )
        .await;
    assert_error("mkdir", res, 400, "bad_path", "U+200B");
    assert!(w.files.stat(&path("docs/reports/a.txt")).await.is_ok());

    // Sent by the uploader's system: cleaned, and the file-type rules see the clean name.
    let (status, body) = upload(&mut r, &key, "reports", hostile).await;
    assert_eq!(status, 200, "{body}");
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["uploaded"][0]["name"], "invoicefdp.exe", "{body}");
    assert_eq!(
        answer["uploaded"][0]["path"], "reports/invoicefdp.exe",
        "{body}"
    );
    assert!(
        w.files
            .stat(&path("docs/reports/invoicefdp.exe"))
            .await
            .is_ok()
    );
    let res = upload(&mut r, &key, "reports", "game.ap\u{200B}k").await;
    assert_error(
        "a hidden refused type",
        res,
        422,
        "file_type_refused",
        "this type",
    );
    assert!(w.files.stat(&path("docs/reports/game.apk")).await.is_err());

    let (status, body) = r
        .send(r.client.get(format!("{}/s/{key}?p=reports", r.base)))
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        !body.contains('\u{202E}') && !body.contains("\\u202e"),
        "{body}"
    );
    server.abort();
}
