//! Reports (#17 item 9): the access log as streamed CSV, statistics per UTC day.

use super::*;
use serde_json::Value;
use sharelink_core::ports::{AccessLog, LogKind, NewLogEvent};
use time::macros::{date, datetime};
use time::{Duration, OffsetDateTime};

const HOSTILE: &str = "=cmd|' /C calc'!A0";

/// A world whose access log the test writes to directly.
struct Reports {
    router: Router,
    log: Arc<MemoryAccessLog>,
    ana: Share,
    bob: Share,
}

async fn reports() -> Reports {
    let base = fixtures::World::new();
    let state = SharelinkState::new(
        base.app.clone(),
        Arc::new(HeaderAuth),
        HttpConfig {
            secure_cookies: false,
            ..HttpConfig::default()
        },
    );
    let create = |who: &'static str| {
        let app = base.app.clone();
        async move {
            app.create_share(&user(who), share_request(&["docs/plan.pdf"], |_| {}))
                .await
                .unwrap()
                .share
        }
    };
    Reports {
        router: sharelink_http::router(state),
        log: base.mem.log.clone(),
        ana: create("ana").await,
        bob: create("bob").await,
    }
}

fn event(share: &Share, kind: LogKind, at: OffsetDateTime) -> NewLogEvent {
    NewLogEvent {
        share_id: share.id,
        at,
        kind,
        paths: vec!["plan.pdf".into()],
        bytes: Some(10),
        ip: Some("192.0.2.1".parse().unwrap()),
        user_agent: Some("Mozilla/5.0".into()),
        visitor: Some("v1".into()),
        email: None,
        registration: None,
        detail: None,
    }
}

/// A GET as `who`, and the body's data frames as they came.
async fn get_as(r: &Reports, who: &str, uri: &str) -> (StatusCode, HeaderMap, Vec<Bytes>) {
    let req = Request::get(uri)
        .header("x-user", who)
        .body(Body::empty())
        .unwrap();
    let res = r.router.clone().oneshot(req).await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    let mut body = res.into_body();
    let mut frames = Vec::new();
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame.unwrap().into_data() {
            frames.push(data);
        }
    }
    (status, headers, frames)
}

fn csv_records(frames: &[Bytes]) -> (csv::StringRecord, Vec<csv::StringRecord>) {
    let all: Vec<u8> = frames.iter().flat_map(|f| f.iter().copied()).collect();
    let mut reader = csv::Reader::from_reader(all.as_slice());
    let head = reader.headers().unwrap().clone();
    let rows = reader.records().collect::<Result<Vec<_>, _>>().unwrap();
    (head, rows)
}

#[tokio::test]
async fn the_log_exports_as_streamed_csv_with_hostile_cells_defused() {
    let r = reports().await;
    let t0 = datetime!(2026-03-01 00:00 UTC);
    for i in 0..5000 {
        let mut e = event(&r.ana, LogKind::Download, t0 + Duration::seconds(i));
        if i == 1234 {
            e.user_agent = Some(HOSTILE.into());
            e.paths = vec!["a \"quoted\", name.txt".into(), "+plus.txt".into()];
            e.detail = Some("-1+1".into());
        }
        if i % 1000 == 0 {
            e.kind = LogKind::Visit;
        }
        r.log.append(&e).await.unwrap();
    }
    for i in 0..7 {
        r.log
            .append(&event(&r.bob, LogKind::Visit, t0 + Duration::seconds(i)))
            .await
            .unwrap();
    }

    let (status, headers, frames) = get_as(&r, "ana", "/api/log.csv").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    assert!(
        headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    // The header row, then a frame per page of 1000: streamed, never the whole log.
    assert!(frames.len() >= 6, "{} frames", frames.len());
    assert!(frames.iter().all(|f| f.len() < 1_000_000));
    let (head, rows) = csv_records(&frames);
    assert_eq!(
        head.iter().collect::<Vec<_>>(),
        [
            "id",
            "at",
            "share_id",
            "kind",
            "paths",
            "bytes",
            "ip",
            "user_agent",
            "visitor",
            "email",
            "registration",
            "detail"
        ]
    );
    assert_eq!(rows.len(), 5000, "ana sees her share's events only");
    let ana_id = r.ana.id.0.to_string();
    assert!(rows.iter().all(|row| row[2] == *ana_id));
    let ids: Vec<i64> = rows.iter().map(|row| row[0].parse().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first, once");
    let hostile = rows.iter().find(|row| row[7].contains("calc")).unwrap();
    assert_eq!(&hostile[7], "'=cmd|' /C calc'!A0");
    assert_eq!(&hostile[4], "a \"quoted\", name.txt\n+plus.txt");
    assert_eq!(&hostile[11], "'-1+1");
    assert_eq!(&hostile[1], "2026-03-01T00:20:34Z");
    assert_eq!(
        OffsetDateTime::parse(&rows[0][1], &time::format_description::well_known::Rfc3339).unwrap(),
        t0 + Duration::seconds(4999)
    );

    // Filters: kind and time range; bob sees only his; the admin sees all.
    let (_, _, frames) = get_as(&r, "ana", "/api/log.csv?kind=visit").await;
    assert_eq!(csv_records(&frames).1.len(), 5);
    let (_, _, frames) = get_as(
        &r,
        "ana",
        "/api/log.csv?from=2026-03-01T00:00:10Z&to=2026-03-01T00:00:20Z",
    )
    .await;
    assert_eq!(csv_records(&frames).1.len(), 10);
    let (_, _, frames) = get_as(&r, "bob", "/api/log.csv").await;
    assert_eq!(csv_records(&frames).1.len(), 7);
    let (_, _, frames) = get_as(&r, "root", "/api/log.csv").await;
    assert_eq!(csv_records(&frames).1.len(), 5007);
    let (_, _, frames) = get_as(&r, "root", "/api/log.csv?owner=bob").await;
    assert_eq!(csv_records(&frames).1.len(), 7);
    let (status, _, _) = get_as(&r, "bob", &format!("/api/log.csv?share={ana_id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // An owner naming another owner still gets only their own.
    let (_, _, frames) = get_as(&r, "bob", "/api/log.csv?owner=ana").await;
    assert_eq!(csv_records(&frames).1.len(), 7);
}

#[tokio::test]
async fn daily_statistics_cover_every_day_of_the_range_with_zeros() {
    let r = reports().await;
    let at = |d: time::Date, h: u8| d.with_hms(h, 0, 0).unwrap().assume_utc();
    let append = |e: NewLogEvent| {
        let log = r.log.clone();
        async move { log.append(&e).await.unwrap() }
    };
    let d2 = date!(2026 - 03 - 02);
    let d4 = date!(2026 - 03 - 04);
    append(event(&r.ana, LogKind::Visit, at(d2, 1))).await;
    let mut other = event(&r.ana, LogKind::Visit, at(d2, 2));
    other.visitor = Some("v2".into());
    append(other).await;
    append(event(&r.ana, LogKind::Download, at(d2, 3))).await;
    append(event(&r.ana, LogKind::Upload, at(d4, 23))).await;
    append(event(&r.ana, LogKind::Denied, at(d4, 23))).await;
    append(event(&r.bob, LogKind::Visit, at(d2, 5))).await;

    let daily = |who: &'static str, query: String| {
        let r = &r;
        async move {
            let (status, _, frames) =
                get_as(r, who, &format!("/api/statistics/daily?{query}")).await;
            let body: Vec<u8> = frames.concat();
            (status, serde_json::from_slice::<Value>(&body).unwrap())
        }
    };
    let (status, body) = daily(
        "ana",
        format!("share={}&from=2026-03-01&to=2026-03-05", r.ana.id.0),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let days = body["days"].as_array().unwrap();
    let row = |d: &Value| {
        [
            "visits",
            "unique_visitors",
            "downloads",
            "bytes_downloaded",
            "uploads",
            "bytes_uploaded",
            "denials",
        ]
        .map(|k| d[k].as_u64().unwrap())
    };
    let expected: [(&str, [u64; 7]); 5] = [
        ("2026-03-01", [0; 7]),
        ("2026-03-02", [2, 2, 1, 10, 0, 0, 0]),
        ("2026-03-03", [0; 7]),
        ("2026-03-04", [0, 0, 0, 0, 1, 10, 1]),
        ("2026-03-05", [0; 7]),
    ];
    assert_eq!(days.len(), 5);
    for (d, (day, counts)) in days.iter().zip(expected) {
        assert_eq!(d["day"], day);
        assert_eq!(row(d), counts, "{d}");
    }

    // Per owner: ana's shares without naming one; the admin over everybody's.
    let (_, body) = daily("ana", "from=2026-03-02&to=2026-03-02".into()).await;
    assert_eq!(body["days"][0]["visits"], 2);
    let (_, body) = daily("root", "from=2026-03-02&to=2026-03-02".into()).await;
    assert_eq!(body["days"][0]["visits"], 3);
    let (_, body) = daily("root", "owner=bob&from=2026-03-02&to=2026-03-02".into()).await;
    assert_eq!(body["days"][0]["visits"], 1);

    // Refusals.
    let (status, body) = daily(
        "bob",
        format!("share={}&from=2026-03-01&to=2026-03-05", r.ana.id.0),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("share_not_found"))
    );
    let (status, body) = daily("ana", "from=2026-03-05&to=2026-03-01".into()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"], "invalid_range");
    let (status, body) = daily("ana", "from=2020-01-01&to=2026-03-01".into()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_range"))
    );
    let (status, body) = daily("ana", "from=yesterday&to=2026-03-01".into()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_query");
    assert!(body["message"].as_str().unwrap().contains("from"), "{body}");
}
