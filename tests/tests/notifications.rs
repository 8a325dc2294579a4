//! Owner notifications end to end over a real socket and a real SMTP server (MailDev): a
//! recipient opens the link as mailed, registers through the registration form and
//! uploads through the upload form; the owner and the site's administrator copy are
//! mailed of each event the share chose, or, in digest mode, of all of them in one mail
//! once the housekeeper's digest job runs.
//!
//! Runs when `SHARELINK_TEST_SMTP` is set. Mail is found by this run's own addresses
//! (MailDev is shared with other tests).

use reqwest::Method;
use serde_json::json;
use sharelink_core::memory::MemoryLease;
use sharelink_core::service::{Housekeeping, Job, JobOutcome, JobPeriods};
use sharelink_core::{
    AccessControl, AllowedActions, Email, OwnerNotifications, RegistrationForm, Share, SiteSettings,
};
use sharelink_tests::{
    Backend, MailDev, ReceivedMail, Stack, on_every_backend, random_tag, smtp_configured,
};
use std::sync::Arc;

on_every_backend!(
    owner_and_admin_copy_hear_of_each_chosen_event,
    digest_mode_sends_one_mail_of_every_event_after_the_digest_job,
);

/// A stack whose site copies every owner notification to a fresh admin address.
async fn stack_with_copy(backend: Backend) -> (Stack, MailDev, Email) {
    let admin = Email::parse(&format!("audit-{}@sharelink.test", random_tag())).unwrap();
    let site = SiteSettings {
        notification_copy: vec![admin.clone()],
        ..SiteSettings::default()
    };
    let stack = Stack::with_site(backend, site).await;
    let mail = stack.mail.clone().expect("MailDev");
    (stack, mail, admin)
}

/// Ana's emailed-only upload share with the default registration form and `choices`,
/// sent to a guest; the guest opens the link as mailed, registers and uploads a file.
/// Returns the share and the guest's address.
async fn guest_visits(
    stack: &Stack,
    mail: &MailDev,
    choices: OwnerNotifications,
) -> (Share, Email) {
    let share = stack
        .share("ana", &["docs/drop"], |s| {
            s.name = "Client intake".into();
            s.allowed = AllowedActions::UploadDownload;
            s.access = AccessControl::EmailedOnly;
            s.registration = Some(RegistrationForm::Default);
            s.notifications = choices;
        })
        .await;
    let key = share.key.to_string();
    let guest = stack.email("guest");
    let sent = stack
        .api(
            Method::POST,
            &format!("/shares/{}/email", share.id.0),
            Some("ana"),
            Some(json!({ "recipients": [{ "email": guest.as_str() }] })),
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.text());
    let invitation = &mail.wait_for(&guest, 1).await[0];
    let link = invitation
        .link_starting_with(&format!("{}/s/{key}?r=", stack.base))
        .unwrap_or_else(|| panic!("no link in {invitation:?}"));
    let code = link
        .rsplit_once("?r=")
        .expect("a recipient code")
        .1
        .to_owned();

    let mut visitor = stack.visitor();
    // The link as mailed asks to confirm; the page's Open button confirms.
    assert_eq!(visitor.get_url(&link).await.status, 409);
    let opened = visitor
        .post_form(&format!("/s/{key}/open"), &[("r", &code)])
        .await;
    assert_eq!(
        opened.json()["error"],
        "registration_required",
        "{}",
        opened.text()
    );
    let registered = visitor
        .post_form(
            &format!("/s/{key}/register"),
            &[
                ("field:Name", "Gina Guest"),
                ("field:Email", guest.as_str()),
            ],
        )
        .await;
    assert_eq!(registered.status, 200, "{}", registered.text());
    let up = visitor.upload(&key, "drop", "scan.pdf", b"%PDF scan").await;
    assert_eq!(up.status, 200, "{}", up.text());
    // Opening the link again (a new visit, asked to register again) is no first visit.
    let again = visitor
        .post_form(&format!("/s/{key}/open"), &[("r", &code)])
        .await;
    assert_eq!(
        again.json()["error"],
        "registration_required",
        "{}",
        again.text()
    );
    (share, guest)
}

fn choices(digest: bool) -> OwnerNotifications {
    OwnerNotifications {
        download: false,
        upload: true,
        registration: true,
        first_visit: true,
        expiry_soon: true,
        digest,
    }
}

/// Checks what the mails say: the share, each event, never the link's key.
fn assert_tells_of_every_event(mails: &[ReceivedMail], share: &Share, guest: &Email) {
    let all: String = mails
        .iter()
        .map(|m| format!("{}\n{}\n{}", m.subject, m.text, m.html))
        .collect();
    for needle in [
        "Client intake",
        &format!("{guest} opened their link"),
        "Gina Guest",
        "drop/scan.pdf",
    ] {
        assert!(all.contains(needle), "{needle:?} missing from {mails:#?}");
    }
    assert!(
        !all.contains(share.key.as_str()),
        "the key leaked: {mails:#?}"
    );
}

async fn owner_and_admin_copy_hear_of_each_chosen_event(backend: Backend) {
    if !smtp_configured() {
        return;
    }
    let (stack, mail, admin) = stack_with_copy(backend).await;
    let (share, guest) = guest_visits(&stack, &mail, choices(false)).await;
    for to in [stack.email("ana"), admin] {
        let mails = mail.wait_for(&to, 3).await;
        assert_eq!(mails.len(), 3, "{to}: {mails:#?}");
        assert_tells_of_every_event(&mails, &share, &guest);
    }
    // The guest got the invitation only.
    assert_eq!(mail.received_by(&guest).await.len(), 1);
}

async fn digest_mode_sends_one_mail_of_every_event_after_the_digest_job(backend: Backend) {
    if !smtp_configured() {
        return;
    }
    let (stack, mail, admin) = stack_with_copy(backend).await;
    let owner = stack.email("ana");
    let (share, guest) = guest_visits(&stack, &mail, choices(true)).await;
    // Nothing yet: the events wait for the digest.
    assert!(mail.received_by(&owner).await.is_empty());
    assert!(mail.received_by(&admin).await.is_empty());

    let jobs = Housekeeping::new(
        stack.app.clone(),
        Arc::new(MemoryLease::new()),
        "node-a",
        JobPeriods::default(),
    );
    let runs = jobs.run_due().await;
    let digest = runs
        .iter()
        .find(|(job, _)| *job == Job::Digest)
        .map(|(_, outcome)| outcome.as_ref().expect("the digest job runs"));
    assert_eq!(digest, Some(&JobOutcome::Digested { sent: 2 }), "{runs:?}");

    for to in [owner, admin] {
        let mails = mail.wait_for(&to, 1).await;
        assert_eq!(mails.len(), 1, "{to}: {mails:#?}");
        assert!(
            mails[0].subject.contains("Client intake"),
            "{:?}",
            mails[0].subject
        );
        assert_tells_of_every_event(&mails, &share, &guest);
    }
    // The period is done: another tick sends nothing more.
    assert!(jobs.run_due().await.is_empty());
}
