//! Conformance cases of the access-log port ([`AccessLog`]).
//!
//! Run with [`crate::repository_conformance!`].

use super::repository::*;
use crate::ports::access_log::{LogKind, LogQuery, NewLogEvent, ShareStats};
use crate::*;
use time::{Duration, OffsetDateTime};

pub(super) fn event(share: ShareId, kind: LogKind, at: OffsetDateTime) -> NewLogEvent {
    NewLogEvent {
        share_id: share,
        at,
        kind,
        paths: vec!["Reports/a b.pdf".into(), "Reports/ü.txt".into()],
        bytes: Some(1234),
        ip: Some("192.0.2.7".parse().expect("valid")),
        user_agent: Some("Mozilla/5.0 <x>".into()),
        visitor: Some("v1".into()),
        email: Some(Email::parse("v@example.com").expect("valid")),
        registration: Some(RegistrationId(9)),
        detail: Some("password".into()),
    }
}

/// Appended events come back with every field, newest first, filtered.
pub async fn log_append_and_query((repo, log): Stores) {
    let a = insert(repo.as_ref(), "logkey001", "ana", "log a", T0).await;
    let b = insert(repo.as_ref(), "logkey002", "ana", "log b", T0).await;
    let e1 = event(a.id, LogKind::Visit, T0);
    let id1 = log.append(&e1).await.expect("append");
    let id2 = log
        .append(&event(a.id, LogKind::Download, T0 + Duration::minutes(1)))
        .await
        .expect("append");
    let id3 = log
        .append(&event(b.id, LogKind::Download, T0 + Duration::minutes(2)))
        .await
        .expect("append");
    assert!(id1 < id2 && id2 < id3);
    let all = log
        .query(&LogQuery {
            limit: 100,
            ..LogQuery::default()
        })
        .await
        .expect("query");
    assert_eq!(
        all.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![id3, id2, id1]
    );
    assert_eq!(all[2].event, e1);
    let only_a = log
        .query(&LogQuery {
            shares: Some(vec![a.id]),
            limit: 100,
            ..LogQuery::default()
        })
        .await
        .expect("query");
    assert_eq!(only_a.len(), 2);
    let downloads = log
        .query(&LogQuery {
            kinds: Some(vec![LogKind::Download]),
            limit: 100,
            ..LogQuery::default()
        })
        .await
        .expect("query");
    assert_eq!(
        downloads.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![id3, id2]
    );
    let ranged = log
        .query(&LogQuery {
            from: Some(T0 + Duration::minutes(1)),
            to: Some(T0 + Duration::minutes(2)),
            limit: 100,
            ..LogQuery::default()
        })
        .await
        .expect("query");
    assert_eq!(ranged.iter().map(|e| e.id).collect::<Vec<_>>(), vec![id2]);
    let none = log
        .query(&LogQuery {
            shares: Some(vec![]),
            limit: 100,
            ..LogQuery::default()
        })
        .await
        .expect("query");
    assert!(none.is_empty());
}

/// Paging with `before_id` visits every event once.
pub async fn log_pagination((repo, log): Stores) {
    let a = insert(repo.as_ref(), "logpage01", "ana", "log", T0).await;
    let mut ids = Vec::new();
    for i in 0..17 {
        ids.push(
            log.append(&event(a.id, LogKind::List, T0 + Duration::seconds(i)))
                .await
                .expect("append"),
        );
    }
    ids.reverse();
    let mut seen = Vec::new();
    let mut before_id = None;
    loop {
        let page = log
            .query(&LogQuery {
                before_id,
                limit: 4,
                ..LogQuery::default()
            })
            .await
            .expect("query");
        if page.is_empty() {
            break;
        }
        before_id = page.last().map(|e| e.id);
        seen.extend(page.into_iter().map(|e| e.id));
    }
    assert_eq!(seen, ids);
}

/// Statistics count visits, unique visitors (of visit events only), downloads and bytes,
/// uploads, denials.
pub async fn log_statistics((repo, log): Stores) {
    let a = insert(repo.as_ref(), "statkey01", "ana", "stats", T0).await;
    let b = insert(repo.as_ref(), "statkey02", "ana", "other", T0).await;
    let mut visit = event(a.id, LogKind::Visit, T0);
    log.append(&visit).await.expect("append");
    visit.visitor = Some("v2".into());
    log.append(&visit).await.expect("append");
    log.append(&visit).await.expect("append");
    log.append(&event(a.id, LogKind::Download, T0))
        .await
        .expect("append");
    log.append(&event(a.id, LogKind::DownloadAll, T0))
        .await
        .expect("append");
    log.append(&event(a.id, LogKind::Upload, T0))
        .await
        .expect("append");
    // A refused browser is no visitor (only visit events count).
    let mut refused = event(a.id, LogKind::Denied, T0);
    refused.visitor = Some("v3".into());
    log.append(&refused).await.expect("append");
    log.append(&event(a.id, LogKind::List, T0))
        .await
        .expect("append");
    log.append(&event(b.id, LogKind::Download, T0))
        .await
        .expect("append");
    let s = log.statistics(a.id).await.expect("stats");
    assert_eq!(s.visits, 3);
    assert_eq!(s.unique_visitors, 2);
    assert_eq!(s.downloads, 2);
    assert_eq!(s.bytes_downloaded, 2468);
    assert_eq!(s.uploads, 1);
    assert_eq!(s.bytes_uploaded, 1234);
    assert_eq!(s.denials, 1);
    let empty = log.statistics(ShareId(b.id.0 + 999)).await.expect("stats");
    assert_eq!(empty, crate::ports::ShareStats::default());
}

/// Retention purge and per-share delete remove exactly what they should.
pub async fn log_purge_and_delete((repo, log): Stores) {
    let a = insert(repo.as_ref(), "purgekey1", "ana", "purge", T0).await;
    let b = insert(repo.as_ref(), "purgekey2", "ana", "purge", T0).await;
    for i in 0..4 {
        log.append(&event(a.id, LogKind::Visit, T0 + Duration::days(i)))
            .await
            .expect("append");
        log.append(&event(b.id, LogKind::Visit, T0 + Duration::days(i)))
            .await
            .expect("append");
    }
    assert_eq!(
        log.purge_before(T0 + Duration::days(2))
            .await
            .expect("purge"),
        4
    );
    assert_eq!(log.delete_share(a.id).await.expect("delete"), 2);
    let left = log
        .query(&LogQuery {
            limit: 100,
            ..LogQuery::default()
        })
        .await
        .expect("query");
    assert_eq!(left.len(), 2);
    assert!(
        left.iter()
            .all(|e| e.event.share_id == b.id && e.event.at >= T0 + Duration::days(2))
    );
}

/// Daily statistics: one entry per UTC day of the range in order, zeros on empty days,
/// unique visitors distinct within a day, only the shares asked, midnight UTC as the
/// boundary (whatever offset an event was appended with), nothing for an inverted range.
pub async fn log_daily_statistics((repo, log): Stores) {
    use crate::ports::access_log::{DailyQuery, DayStats};
    use time::macros::{date, offset};
    let a = insert(repo.as_ref(), "daykey001", "ana", "daily a", T0).await;
    let b = insert(repo.as_ref(), "daykey002", "ana", "daily b", T0).await;
    let day1 = date!(2026 - 03 - 01);
    let at = |d: time::Date, h: u8| d.with_hms(h, 0, 0).expect("valid").assume_utc();
    let append = |e: NewLogEvent| {
        let log = log.clone();
        async move { log.append(&e).await.expect("append") }
    };
    // Day 1: two visits of one visitor, one of another, a download of 1234 bytes.
    let mut v = event(a.id, LogKind::Visit, at(day1, 0));
    append(v.clone()).await;
    v.at = at(day1, 23) + Duration::minutes(59);
    append(v.clone()).await;
    v.visitor = Some("v2".into());
    append(v.clone()).await;
    append(event(a.id, LogKind::Download, at(day1, 5))).await;
    // Day 2 at 01:00 UTC, appended as 2026-03-01 20:00 at -05:00: it counts on day 2.
    let mut late = event(a.id, LogKind::Upload, at(day1.next_day().expect("day"), 1));
    late.at = late.at.to_offset(offset!(-5));
    append(late).await;
    // Day 3 empty; day 4: the visitor of day 1 again (unique again that day), a denial.
    let day4 = date!(2026 - 03 - 04);
    append(event(a.id, LogKind::Visit, at(day4, 12))).await;
    append(event(a.id, LogKind::Denied, at(day4, 13))).await;
    // Outside the range, and another share.
    append(event(a.id, LogKind::Visit, at(date!(2026 - 02 - 28), 23))).await;
    append(event(a.id, LogKind::Visit, at(date!(2026 - 03 - 06), 0))).await;
    append(event(b.id, LogKind::Visit, at(day1, 10))).await;

    let days = log
        .daily_statistics(&DailyQuery {
            shares: Some(vec![a.id]),
            first: day1,
            last: date!(2026 - 03 - 05),
        })
        .await
        .expect("daily");
    let zero = ShareStats::default();
    let expect = [
        (
            day1,
            ShareStats {
                visits: 3,
                unique_visitors: 2,
                downloads: 1,
                bytes_downloaded: 1234,
                ..zero
            },
        ),
        (
            date!(2026 - 03 - 02),
            ShareStats {
                uploads: 1,
                bytes_uploaded: 1234,
                ..zero
            },
        ),
        (date!(2026 - 03 - 03), zero),
        (
            day4,
            ShareStats {
                visits: 1,
                unique_visitors: 1,
                denials: 1,
                ..zero
            },
        ),
        (date!(2026 - 03 - 05), zero),
    ]
    .map(|(day, stats)| DayStats { day, stats });
    assert_eq!(days, expect);

    let both = log
        .daily_statistics(&DailyQuery {
            shares: None,
            first: day1,
            last: day1,
        })
        .await
        .expect("daily");
    assert_eq!(both.len(), 1);
    assert_eq!(
        (both[0].stats.visits, both[0].stats.unique_visitors),
        (4, 2)
    );
    let none = log
        .daily_statistics(&DailyQuery {
            shares: Some(vec![]),
            first: day1,
            last: date!(2026 - 03 - 02),
        })
        .await
        .expect("daily");
    assert_eq!(
        none,
        [day1, date!(2026 - 03 - 02)].map(|day| DayStats { day, stats: zero })
    );
    let inverted = log
        .daily_statistics(&DailyQuery {
            shares: None,
            first: day1,
            last: date!(2026 - 02 - 27),
        })
        .await
        .expect("daily");
    assert!(inverted.is_empty());
}
