//! Form and multipart handling through the real router: arbitrary bodies posted to the
//! upload, password, registration and folder routes (with a valid session and CSRF
//! token, so the parsers are reached) never panic, never answer 500, and never write
//! outside the shared folder.
#![no_main]
use axum::body::Body;
use axum::http::{Request, header};
use http_body_util::BodyExt;
use libfuzzer_sys::fuzz_target;
use sharelink_core::memory::MemoryFileStore;
use sharelink_core::ports::FileStore;
use sharelink_core::service::{CreateShare, NewItem};
use sharelink_core::testing::fixtures;
use sharelink_core::{AllowedActions, SharePath, ShareSettings};
use sharelink_http::{Anonymous, SharelinkState, HttpConfig};
use std::sync::{Arc, OnceLock};
use tower::ServiceExt;

struct World {
    rt: tokio::runtime::Runtime,
    router: axum::Router,
    files: Arc<MemoryFileStore>,
    key: String,
    cookie: String,
    csrf: String,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let (router, files, key, cookie, csrf) = rt.block_on(async {
            // The shared test world: Ana may do everything on `docs`, which holds a
            // `docs/drop` folder and a few files.
            let world = fixtures::World::new();
            let files = world.mem.files.clone();
            let owner = world.ana();
            let app = world.app;
            let mut settings = ShareSettings::named("fuzz");
            settings.allowed = AllowedActions::Full;
            let share = app
                .create_share(
                    &owner,
                    CreateShare {
                        items: vec![NewItem {
                            path: SharePath::parse("docs/drop").unwrap(),
                            alias: None,
                        }],
                        settings,
                        password: None,
                        custom_key: None,
                    },
                )
                .await
                .unwrap()
                .share;
            let state = SharelinkState::new(
                app,
                Arc::new(Anonymous),
                HttpConfig {
                    secure_cookies: false,
                    ..HttpConfig::default()
                },
            );
            let router = sharelink_http::router(state);
            let key = share.key.to_string();
            let res = router
                .clone()
                .oneshot(Request::get(format!("/s/{key}")).body(Body::empty()).unwrap())
                .await
                .unwrap();
            let mut cookies = Vec::new();
            let mut csrf = String::new();
            for c in res.headers().get_all(header::SET_COOKIE) {
                let pair = c.to_str().unwrap().split(';').next().unwrap().to_owned();
                if let Some(v) = pair.strip_prefix("sl_csrf=") {
                    csrf = v.to_owned();
                }
                cookies.push(pair);
            }
            (router, files, key, cookies.join("; "), csrf)
        });
        World {
            rt,
            router,
            files,
            key,
            cookie,
            csrf,
        }
    })
}

fuzz_target!(|input: (u8, &[u8])| {
    let (route, body) = input;
    let w = world();
    let (path, content_type, body) = match route % 5 {
        0 => (
            "upload",
            "multipart/form-data; boundary=B".to_owned(),
            [format!("--B\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{}\r\n", w.csrf).as_bytes(), body].concat(),
        ),
        1 => ("upload", String::from_utf8_lossy(&body[..body.len().min(60)]).into_owned(), body.to_vec()),
        2 => ("password", "application/x-www-form-urlencoded".to_owned(), [format!("csrf={}&", w.csrf).as_bytes(), body].concat()),
        3 => ("register", "application/x-www-form-urlencoded".to_owned(), [format!("csrf={}&", w.csrf).as_bytes(), body].concat()),
        _ => ("mkdir", "application/x-www-form-urlencoded".to_owned(), [format!("csrf={}&", w.csrf).as_bytes(), body].concat()),
    };
    let Ok(req) = Request::post(format!("/s/{}/{path}", w.key))
        .header(header::COOKIE, &w.cookie)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
    else {
        return;
    };
    w.rt.block_on(async {
        let res = w.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let _ = res.into_body().collect().await;
        assert!(!status.is_server_error(), "{path}: {status}");
        // Nothing appears outside the shared folder.
        let top = w.files.list(&SharePath::root()).await.unwrap();
        assert!(top.iter().all(|e| e.path.as_str() == "docs"), "{top:?}");
        // …and beside it in `docs`, only what the world put there.
        let docs = w.files.list(&SharePath::parse("docs").unwrap()).await.unwrap();
        let known = ["docs/drop", "docs/reports", "docs/plan.pdf", "docs/app.apk"];
        assert!(docs.iter().all(|e| known.contains(&e.path.as_str())), "{docs:?}");
    });
});
