//! Mail survives an SMTP outage: a MailDev of this test's own (the one the environment
//! names is shared with other tests, so it is never stopped) is stopped mid-run and
//! started again with the same command. Invitations queued while it is down arrive once
//! it is back; a one-time code whose expiry passed meanwhile is never sent.
//!
//! Runs when `SHARELINK_TEST_SMTP` is set (MailDev installed by `.ci/setup.d/30-smtp.sh`,
//! in `$MAILDEV_DIR`, default `/tmp/maildev`).

use sharelink_core::memory::{ManualClock, MemoryDirectory, MemoryFileStore};
use sharelink_core::ports::{MailState, Mailer};
use sharelink_core::service::{
    Config, ListMail, NewRecipientInput, OpenRequest, Ports, Sharelink, VisitRequest,
};
use sharelink_core::testing::fixtures::{
    self, LINK_BASE, PEOPLE, client, corp_email, people, put_file, share_request, user,
};
use sharelink_core::{AccessControl, Email, EmailPattern, RequestMode};
use sharelink_mail::testing::MailDev;
use sharelink_store_sql::testing::TestDatabase;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

/// A MailDev process of this test; killed when dropped, so it never outlives a failure.
struct OwnMailDev {
    child: Option<Child>,
    smtp: u16,
    web: u16,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

impl OwnMailDev {
    fn start(smtp: u16, web: u16) -> Self {
        let dir = std::env::var("MAILDEV_DIR").unwrap_or_else(|_| "/tmp/maildev".into());
        let child = Command::new(format!("{dir}/node_modules/.bin/maildev"))
            .args(["--ip", "127.0.0.1", "--web-ip", "127.0.0.1"])
            .args(["-s", &smtp.to_string(), "-w", &web.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("MailDev starts (run .ci/setup.d/30-smtp.sh to install it)");
        Self {
            child: Some(child),
            smtp,
            web,
        }
    }

    async fn api(&self) -> MailDev {
        for _ in 0..100 {
            if let Ok(m) = MailDev::connect(&format!("http://127.0.0.1:{}", self.web)).await {
                return m;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the test's MailDev did not answer");
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for OwnMailDev {
    fn drop(&mut self) {
        self.stop();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn queued_mail_survives_an_smtp_outage_and_expired_codes_are_not_sent() {
    if !sharelink_tests::smtp_configured() {
        return;
    }
    let mut maildev = OwnMailDev::start(free_port(), free_port());
    let api = maildev.api().await;

    let database = TestDatabase::create(sharelink_store_sql::testing::TestBackend::Sqlite)
        .await
        .expect("a SQLite database");
    let store = database.connect().await.expect("the store");
    let clock = Arc::new(ManualClock::new(fixtures::T0));
    let directory = Arc::new(MemoryDirectory::new());
    people(&directory, PEOPLE, corp_email);
    let files = Arc::new(MemoryFileStore::new());
    for (p, data) in fixtures::FILES {
        put_file(files.as_ref(), p, data).await;
    }
    let config = sharelink_mail::SmtpConfig::from_url(
        &format!("smtp://127.0.0.1:{}", maildev.smtp),
        Email::parse("noreply@sharelink.test").unwrap(),
    )
    .unwrap();
    let smtp: Arc<dyn Mailer> = Arc::new(sharelink_mail::SmtpMailer::new(config).unwrap());
    let (repo, log) = store.clone().ports();
    let ports = Ports::new(repo, log, files, smtp, directory)
        .with_mail_queue(store.mail_queue())
        .with_clock(clock.clone());
    let app = Sharelink::new(ports, Config::new(LINK_BASE)).unwrap();

    let tag = sharelink_tests::random_tag();
    let invited = Email::parse(&format!("invited-{tag}@ext.example")).unwrap();
    let coded = Email::parse(&format!("coded-{tag}@ext.example")).unwrap();
    let plain = app
        .create_share(&user("ana"), share_request(&["docs/reports"], |_| {}))
        .await
        .unwrap()
        .share;
    let verified = app
        .create_share(
            &user("ana"),
            share_request(&["docs/reports"], |s| {
                s.access = AccessControl::VerifiedEmails(vec![
                    EmailPattern::parse("*@ext.example").unwrap(),
                ]);
            }),
        )
        .await
        .unwrap()
        .share;

    // The mail server goes away.
    maildev.stop();
    let out = app
        .share_by_email(
            &user("ana"),
            plain.id,
            vec![NewRecipientInput {
                email: invited.clone(),
                company: None,
                note: None,
            }],
            None,
        )
        .await
        .unwrap();
    assert!(out[0].result.is_ok(), "queued although the server is down");
    let c = client("outage");
    let visit = app
        .open(OpenRequest {
            key: verified.key.as_str(),
            client: &c,
            recipient_code: None,
            access_code: None,
            mode: RequestMode::Confirmed,
        })
        .await
        .unwrap();
    let session = visit.session.unwrap().id;
    app.request_code(
        &VisitRequest::new(verified.key.as_str(), &session, &c, RequestMode::Confirmed),
        &coded,
    )
    .await
    .unwrap();
    let d = app.deliver_mail(10).await.unwrap();
    assert_eq!(d.retrying, 2, "both fail for now: {d:?}");

    // It comes back (same command) after the code's lifetime.
    let mut maildev = OwnMailDev::start(maildev.smtp, maildev.web);
    let api_again = maildev.api().await;
    let ttl = app
        .site()
        .await
        .expect("the site settings")
        .one_time_codes
        .ttl;
    clock.advance(ttl + time::Duration::minutes(1));
    let d = app.deliver_mail(10).await.unwrap();
    assert_eq!((d.sent, d.expired), (1, 1), "{d:?}");
    let got = api_again
        .wait_for(&invited, 1, Duration::from_secs(10))
        .await
        .unwrap();
    assert!(
        got[0].text.contains(LINK_BASE),
        "the invitation carries its link"
    );
    assert!(
        api_again.messages_to(&coded).await.unwrap().is_empty(),
        "the expired code is not sent"
    );
    let expired = app
        .queued_mail(
            &user("ana"),
            ListMail {
                state: Some(MailState::Expired),
                ..ListMail::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0].kind, "one_time_code");
    drop(api);
    maildev.stop();
}
