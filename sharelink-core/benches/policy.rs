//! Benchmarks of the access decision and of path normalisation.

#![allow(missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use sharelink_core::policy::Gate;
use sharelink_core::*;
use std::hint::black_box;
use time::macros::datetime;

fn share() -> Share {
    let mut settings = ShareSettings::named("bench");
    settings.allowed = AllowedActions::UploadDownload;
    settings.password = true;
    settings.registration = Some(RegistrationForm::Default);
    settings.ip_allow = IpAllowList::parse(["10.0.0.0/8", "192.0.2.0/24"]).expect("valid");
    settings.use_limit = Some(UseLimit {
        max: 100,
        unit: UseUnit::Download,
    });
    settings.schedule.expires_at = Some(datetime!(2027-01-01 0:00 UTC));
    Share {
        id: ShareId(1),
        key: UrlKey::parse("abcdefghijklmnopqrstuvwxy").expect("valid"),
        owner: UserId::parse("owner").expect("valid"),
        items: (0..10)
            .map(|i| {
                ShareItem::new(
                    SharePath::parse(&format!("data/folder{i}")).expect("valid"),
                    ItemKind::Folder,
                    None,
                )
                .expect("valid")
            })
            .collect(),
        requested: settings.clone(),
        settings,
        adjustments: vec![],
        password_hash: None,
        autofill_code: None,
        bound_device: None,
        uses: 3,
        uploaded_bytes: 0,
        reminder_sent_at: None,
        created_at: datetime!(2026-11-01 0:00 UTC),
        updated_at: datetime!(2026-11-01 0:00 UTC),
    }
}

fn bench(c: &mut Criterion) {
    let share = share();
    let site = SiteSettings::default();
    let mut session = VisitorSession::new(
        SessionId::parse("s").expect("valid"),
        ShareId(1),
        BrowserId::parse("b").expect("valid"),
        datetime!(2026-11-23 0:00 UTC),
    );
    session.client_ip = Some("192.0.2.7".parse().expect("valid"));
    session.password_passed = true;
    session.registration = Some(RegistrationId(1));
    Gate::Password.stamp_passed(&share, &mut session);
    Gate::Registration.stamp_passed(&share, &mut session);
    let path = SharePath::parse("folder7/reports/2026/q3/summary.pdf").expect("valid");
    c.bench_function("decide: download through every gate", |b| {
        b.iter(|| {
            decide(black_box(&AccessRequest {
                share: Some(&share),
                session: &session,
                action: Action::Download,
                path: Some(&path),
                destination: None,
                upload: None,
                rename_to: None,
                already_counted: false,
                mode: RequestMode::Confirmed,
                now: datetime!(2026-11-23 12:00 UTC),
                creator: CreatorRights::Active(Rights::ALL),
                site: &site,
            }))
        })
    });
    c.bench_function("decide: unknown key", |b| {
        b.iter(|| {
            decide(black_box(&AccessRequest {
                share: None,
                session: &session,
                action: Action::List,
                path: None,
                destination: None,
                upload: None,
                rename_to: None,
                already_counted: false,
                mode: RequestMode::Confirmed,
                now: datetime!(2026-11-23 12:00 UTC),
                creator: CreatorRights::Active(Rights::ALL),
                site: &site,
            }))
        })
    });
    let long = "projects/2026/clients/acme corp/deliverables/final/v3/report-final-final.pdf";
    c.bench_function("SharePath::parse (9 segments)", |b| {
        b.iter(|| SharePath::parse(black_box(long)))
    });
    c.bench_function("SharePath::parse (hostile, refused)", |b| {
        b.iter(|| SharePath::parse(black_box("a/b/c/../../../../etc/passwd")))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
