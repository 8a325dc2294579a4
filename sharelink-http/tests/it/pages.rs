//! The visitor pages as a recipient of another company sees them: in their language
//! (`Accept-Language`, the `?lang=` switcher and its cookie), with the site's branding,
//! the embedder's own templates and stylesheet, and no word of the product.

use super::*;
use sharelink_core::model::site::Branding;
use sharelink_http::PageTheme;

/// A site branded "Dépôt Acme", its pages drawn by `theme`.
async fn branded_world(theme: PageTheme) -> World {
    let base = fixtures::World::new();
    let ports = base
        .mem
        .ports()
        .with_hasher(Arc::new(Argon2idHasher::new(Argon2Params::TESTING)));
    let mut config = Config::new(fixtures::LINK_BASE);
    config.site.branding = Branding {
        site_title: "Dépôt Acme".to_owned(),
        logo_url: Some("https://cdn.acme.example/logo.svg".to_owned()),
        accent_color: Some("#0a7d5a".to_owned()),
        favicon_url: Some("/favicon.ico".to_owned()),
        footer_text: Some("Acme SARL — mentions légales".to_owned()),
        ..Branding::default()
    };
    let app = Sharelink::new(ports, config).unwrap();
    let http = HttpConfig {
        secure_cookies: false,
        ..HttpConfig::default()
    };
    let state = SharelinkState::new(app.clone(), Arc::new(HeaderAuth), http)
        .with_theme(theme)
        .expect("the theme parses");
    World {
        app,
        router: sharelink_http::router(state),
        files: base.mem.files,
        mailer: base.mem.mailer,
    }
}

async fn get_in(b: &mut Browser, w: &World, uri: &str, accept_language: &str) -> Answer {
    let lang = accept_language.to_owned();
    b.get_with(&w.router, uri, move |uri| {
        Request::get(uri)
            .header(header::ACCEPT_LANGUAGE, lang.as_str())
            .body(Body::empty())
            .unwrap()
    })
    .await
}

fn assert_white_label(page: &Answer) {
    let text = page.text().to_lowercase();
    assert!(!text.contains("sharelink"), "the product shows: {text}");
}

#[tokio::test]
async fn a_share_page_in_french_then_german_with_the_site_branding() {
    let w = branded_world(PageTheme::new()).await;
    let share = w.share(&["docs/reports"], |_| {}).await;
    let mut b = Browser::default();
    let top = format!("/s/{}", share.key);

    let fr = get_in(&mut b, &w, &top, "fr-CH, fr;q=0.9, en;q=0.5").await;
    assert_eq!(fr.status, StatusCode::OK);
    let html = fr.text();
    for part in [
        "<html lang=\"fr\">",
        "Dépôt Acme",
        ">Accueil</a>",
        "Tout télécharger (ZIP)",
        ">Nom ▲</a></th>",
        ">Taille</a></th>",
        ">Modifié</a></th>",
        "<img class=\"logo\" src=\"https://cdn.acme.example/logo.svg\"",
        ":root{--accent:#0a7d5a}",
        "<link rel=\"icon\" href=\"/favicon.ico\">",
        "Acme SARL — mentions légales",
        "<strong lang=\"fr\" aria-current=\"true\">Français</strong>",
    ] {
        assert!(html.contains(part), "{part} missing: {html}");
    }
    assert_white_label(&fr);
    assert!(fr.header("vary").contains("Accept-Language"));
    // The logo's site may serve images to this page; nothing else was opened up.
    let csp = fr.header("content-security-policy");
    assert!(
        csp.contains("img-src 'self' data: https://cdn.acme.example")
            && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );

    // Inside a folder, in French, sizes as French writes them.
    let folder = get_in(&mut b, &w, &format!("{top}?p=reports/sub"), "fr").await;
    let html = folder.text();
    assert!(
        html.contains(">sub</a>") && html.contains("b.pdf"),
        "{html}"
    );
    assert!(html.contains("10 o"), "a French size: {html}");

    // Sorted by size, largest first, by a plain link; folders stay first.
    let by_size = get_in(
        &mut b,
        &w,
        &format!("{top}?p=reports&sort=size&order=desc"),
        "fr",
    )
    .await
    .text();
    let at = |name: &str| {
        by_size
            .find(name)
            .unwrap_or_else(|| panic!("{name}: {by_size}"))
    };
    assert!(at(">sub/</a>") < at(">page.html</a>"), "{by_size}");
    assert!(at(">page.html</a>") < at(">a.txt</a>"), "{by_size}");
    assert!(by_size.contains("aria-sort=\"descending\""), "{by_size}");
    assert!(by_size.contains("class=\"icon i-folder\""), "{by_size}");

    // The switcher: a link to this page with `lang=de`, which the cookie then keeps,
    // whatever the browser says it prefers.
    assert!(
        html.contains("href=\"?p=reports/sub&amp;lang=de\""),
        "no switcher link: {html}"
    );
    let de = get_in(&mut b, &w, &format!("{top}?p=reports/sub&lang=de"), "fr").await;
    assert_eq!(b.cookies.get("sl_lang").map(String::as_str), Some("de"));
    let again = get_in(&mut b, &w, &top, "fr").await;
    for page in [&de, &again] {
        let html = page.text();
        assert!(html.contains("<html lang=\"de\">"), "{html}");
        assert!(html.contains(">Start</a>"), "{html}");
        assert!(html.contains("Alles herunterladen (ZIP)"), "{html}");
        assert_white_label(page);
    }

    // A refusal is translated too, and keeps the branding.
    let gone = get_in(
        &mut Browser::default(),
        &w,
        "/s/Zz9Zz9Zz9Zz9Zz9Zz9Zz9Z",
        "de",
    )
    .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert!(
        gone.text().contains("<h1>Freigabe nicht gefunden</h1>")
            && gone.text().contains("dieser Freigabelink existiert nicht"),
        "{}",
        gone.text()
    );
    assert!(gone.text().contains("Dépôt Acme"));
    assert_white_label(&gone);
}

#[tokio::test]
async fn a_gate_in_chinese_and_an_unknown_language_in_english() {
    let w = branded_world(PageTheme::new()).await;
    let share = w
        .share_with_password(&["docs/reports"], Some("correct horse battery"), |_| {})
        .await;
    let top = format!("/s/{}", share.key);
    let zh = get_in(&mut Browser::default(), &w, &top, "zh-CN,zh;q=0.9").await;
    assert_eq!(zh.status, StatusCode::UNAUTHORIZED);
    assert!(zh.text().contains("<h1>需要密码</h1>"), "{}", zh.text());
    assert!(zh.text().contains("name=\"password\""));
    let ja = get_in(&mut Browser::default(), &w, &top, "ja, ko;q=0.5").await;
    assert!(
        ja.text().contains("<h1>Password required</h1>"),
        "{}",
        ja.text()
    );
    assert!(ja.text().contains("<html lang=\"en\">"));
}

#[tokio::test]
async fn the_embedder_replaces_a_template_and_the_stylesheet() {
    let theme = PageTheme::new()
        .with_stylesheet("body{font-family:Georgia,serif}")
        .with_template(
            "share.html",
            r#"{% extends "base.html" %}{% block content %}<section id="acme">{{ name }}:
{% for e in entries %}<a href="{{ e.href }}">{{ e.name }}</a> ({{ e.size }}) {% endfor %}
{{ t("download-all") }}</section>{% endblock %}"#,
        );
    let w = branded_world(theme).await;
    let share = w
        .share(&["docs/reports"], |s| s.name = "<Q3> reports".to_owned())
        .await;
    let page = get_in(
        &mut Browser::default(),
        &w,
        &format!("/s/{}", share.key),
        "de",
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(
        html.contains("<section id=\"acme\">&lt;Q3&gt; reports:"),
        "{html}"
    );
    assert!(html.contains(">reports</a>"), "{html}");
    assert!(
        html.contains("Alles herunterladen (ZIP)</section>"),
        "{html}"
    );
    assert!(
        html.contains("<style>body{font-family:Georgia,serif}"),
        "{html}"
    );
    assert!(
        !html.contains("--bg:"),
        "the default stylesheet is gone: {html}"
    );
    // The other pages keep the default templates, with the replaced stylesheet.
    let gone = get_in(
        &mut Browser::default(),
        &w,
        "/s/Zz9Zz9Zz9Zz9Zz9Zz9Zz9Z",
        "en",
    )
    .await;
    assert!(gone.text().contains("<h1>Share not found</h1>"));
    assert!(gone.text().contains("Georgia"));
}

#[test]
fn a_theme_that_does_not_parse_is_refused_at_startup() {
    let err = PageTheme::new()
        .with_template("gate_password.html", "{% block content %}")
        .check()
        .expect_err("refused");
    assert!(err.to_string().contains("gate_password.html"), "{err}");
}

#[tokio::test]
async fn a_share_page_weighs_less_than_60_kib() {
    let w = branded_world(PageTheme::new()).await;
    // The heaviest page: every action (rename, move, delete, upload, new folder) on
    // every row.
    let share = w
        .share(&["docs/reports"], |s| s.allowed = AllowedActions::Full)
        .await;
    let mut b = Browser::default();
    let page = get_in(&mut b, &w, &format!("/s/{}?p=reports", share.key), "de").await;
    assert_eq!(page.status, StatusCode::OK);
    for part in [
        "webkitdirectory",
        ">Umbenennen</button>",
        ">Ordner erstellen</button>",
    ] {
        assert!(page.text().contains(part), "{part}: {}", page.text());
    }
    let script = b.get(&w.router, "/assets/upload.js").await;
    assert_eq!(script.status, StatusCode::OK);
    // HTML (the stylesheet is inline) and the one script, uncompressed.
    let weight = page.body.len() + script.body.len();
    println!(
        "share page: {} B HTML + {} B JS = {weight} B",
        page.body.len(),
        script.body.len()
    );
    assert!(weight < 60 * 1024, "{weight} bytes");
}
