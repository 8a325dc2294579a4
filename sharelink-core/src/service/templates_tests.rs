//! Shares that use a saved template by reference: the resolution rule (table and
//! properties) and the use cases over the in-memory adapters.

use super::*;
use crate::ports::{LogKind, LogQuery, TemplateBody};
use crate::testing::fixtures::{World, client, share_request as request, user};
use crate::*;
use futures::executor::block_on;
use proptest::prelude::*;

fn terms(text: &str) -> Clickwrap {
    Clickwrap {
        title: "Terms".into(),
        terms: text.into(),
    }
}

fn terms_body(text: &str) -> TemplateBody {
    TemplateBody::Clickwrap {
        clickwrap: terms(text),
    }
}

fn form_body() -> TemplateBody {
    TemplateBody::Form {
        form: RegistrationForm::Default,
    }
}

#[test]
fn references_resolve_by_kind_table() {
    let find = |id: i64| match id {
        1 => Some(form_body()),
        2 => Some(terms_body("v2")),
        _ => None,
    };
    // No reference: nothing changes.
    let mut plain = ShareSettings::named("s");
    plain.clickwrap = Some(terms("inline"));
    let before = plain.clone();
    assert_eq!(apply_templates(&mut plain, find), Ok(()));
    assert_eq!(plain, before);
    // References replace the inline copies.
    let mut both = ShareSettings::named("s");
    both.registration_template = Some(1);
    both.clickwrap_template = Some(2);
    both.clickwrap = Some(terms("stale copy"));
    assert_eq!(apply_templates(&mut both, find), Ok(()));
    assert_eq!(both.registration, Some(RegistrationForm::Default));
    assert_eq!(both.clickwrap, Some(terms("v2")));
    // The wrong kind is refused, naming the template and the kind needed.
    let mut wrong = ShareSettings::named("s");
    wrong.clickwrap_template = Some(1);
    assert_eq!(
        apply_templates(&mut wrong, find),
        Err(SettingsError::TemplateKind {
            id: 1,
            expected: "clickwrap"
        })
    );
    // A missing one is refused; the other reference still resolves.
    let mut missing = ShareSettings::named("s");
    missing.registration_template = Some(9);
    missing.clickwrap_template = Some(2);
    missing.registration = Some(RegistrationForm::Default);
    assert_eq!(
        apply_templates(&mut missing, find),
        Err(SettingsError::NoSuchTemplate(9))
    );
    assert_eq!(missing.registration, Some(RegistrationForm::Default));
    assert_eq!(missing.clickwrap, Some(terms("v2")));
}

proptest! {
    /// Whatever the inline copies say, a resolvable reference wins, an unresolvable one
    /// keeps the copy, and a setting without a reference is never touched.
    #[test]
    fn a_reference_wins_over_the_inline_copy(
        inline in proptest::option::of("[a-z]{0,8}"),
        reference in proptest::option::of(0i64..4),
        text in "[a-z]{1,8}",
    ) {
        let find = |id: i64| (id == 1).then(|| terms_body(&text));
        let mut s = ShareSettings::named("s");
        s.clickwrap = inline.as_deref().map(terms);
        s.clickwrap_template = reference;
        let result = apply_templates(&mut s, find);
        match reference {
            Some(1) => {
                prop_assert_eq!(result, Ok(()));
                prop_assert_eq!(s.clickwrap, Some(terms(&text)));
            }
            Some(id) => {
                prop_assert_eq!(result, Err(SettingsError::NoSuchTemplate(id)));
                prop_assert_eq!(s.clickwrap, inline.as_deref().map(terms));
            }
            None => {
                prop_assert_eq!(result, Ok(()));
                prop_assert_eq!(s.clickwrap, inline.as_deref().map(terms));
            }
        }
        prop_assert_eq!(s.registration, None);
    }

    /// The digest of terms changes exactly when the text a visitor reads changes.
    #[test]
    fn terms_digests_tell_texts_apart(a in "\\PC{0,12}", b in "\\PC{0,12}") {
        prop_assert_eq!(terms(&a).digest() == terms(&b).digest(), a == b);
    }
}

fn accept(w: &World, share: &Share, browser: &str) -> Visit {
    let c = client(browser);
    let v = block_on(w.app.open(OpenRequest {
        key: share.key.as_str(),
        client: &c,
        recipient_code: None,
        access_code: None,
        mode: RequestMode::Confirmed,
    }))
    .unwrap();
    let s = v.session.unwrap().id;
    block_on(w.app.accept_terms(&VisitRequest::new(
        share.key.as_str(),
        &s,
        &c,
        RequestMode::Confirmed,
    )))
    .unwrap()
}

fn clickwrap_details(w: &World, share: &Share) -> Vec<String> {
    block_on(w.app.access_log(
        &user("ana"),
        share.id,
        LogQuery {
            kinds: Some(vec![LogKind::GatePassed]),
            limit: 100,
            ..LogQuery::default()
        },
    ))
    .unwrap()
    .into_iter()
    .filter_map(|e| e.event.detail)
    .filter(|d| d.starts_with("clickwrap"))
    .collect()
}

#[test]
fn a_template_edit_reaches_every_share_and_acceptances_keep_their_text() {
    let w = World::new();
    let ana = user("ana");
    let t = block_on(w.app.save_template(&ana, "NDA", terms_body("v1"))).unwrap();
    let by_ref = |_: &str| request(&["docs/reports"], |s| s.clickwrap_template = Some(t.id));
    let one = block_on(w.app.create_share(&ana, by_ref("one")))
        .unwrap()
        .share;
    let two = block_on(w.app.create_share(&ana, by_ref("two")))
        .unwrap()
        .share;
    assert_eq!(one.settings.clickwrap, Some(terms("v1")));
    let first = accept(&w, &one, "b1");
    assert_eq!(
        first.session.unwrap().clickwrap_digest,
        Some(terms("v1").digest())
    );

    block_on(w.app.update_template(&ana, t.id, "NDA", terms_body("v2"))).unwrap();
    for share in [&one, &two] {
        let read = block_on(w.app.get_share(&ana, share.id)).unwrap();
        assert_eq!(read.settings.clickwrap, Some(terms("v2")));
        assert_eq!(read.settings.clickwrap_template, Some(t.id));
        assert_eq!(read.requested.clickwrap, Some(terms("v2")));
    }
    let listed = block_on(w.app.list_shares(&ana, ListShares::default())).unwrap();
    assert!(
        listed
            .shares
            .iter()
            .all(|s| s.settings.clickwrap == Some(terms("v2")))
    );
    // The visitor who accepted v1 meets the gate again, with the new text.
    let c = client("b1");
    let again = block_on(w.app.open(OpenRequest {
        key: one.key.as_str(),
        client: &c,
        recipient_code: None,
        access_code: None,
        mode: RequestMode::Confirmed,
    }))
    .unwrap();
    assert_eq!(again.gate.pending, Some(Denial::ClickwrapRequired));
    assert_eq!(again.gate.clickwrap.unwrap().terms, "v2");
    accept(&w, &one, "b1");
    assert_eq!(
        clickwrap_details(&w, &one),
        vec![
            format!("clickwrap {}", terms("v2").digest()),
            format!("clickwrap {}", terms("v1").digest()),
        ]
    );
}

#[test]
fn references_are_checked_and_templates_in_use_are_kept() {
    let w = World::new();
    let ana = user("ana");
    let form = block_on(w.app.save_template(&ana, "Form", form_body())).unwrap();
    let nda = block_on(w.app.save_template(&ana, "NDA", terms_body("v1"))).unwrap();
    let bobs = block_on(w.app.save_template(&user("bob"), "Bob's", terms_body("b"))).unwrap();
    let create = |f: &dyn Fn(&mut ShareSettings)| {
        block_on(w.app.create_share(&ana, request(&["docs/reports"], f)))
    };
    assert!(matches!(
        create(&|s| s.clickwrap_template = Some(form.id)),
        Err(ServiceError::Settings(SettingsError::TemplateKind { .. }))
    ));
    assert!(matches!(
        create(&|s| s.clickwrap_template = Some(bobs.id)),
        Err(ServiceError::Settings(SettingsError::NoSuchTemplate(_)))
    ));
    let share = create(&|s| {
        s.clickwrap_template = Some(nda.id);
        s.registration_template = Some(form.id);
    })
    .unwrap()
    .share;
    assert_eq!(share.settings.registration, Some(RegistrationForm::Default));
    assert!(matches!(
        block_on(w.app.update_template(&ana, nda.id, "NDA", form_body())),
        Err(ServiceError::TemplateKindFixed { .. })
    ));
    assert!(matches!(
        block_on(
            w.app
                .update_template(&user("bob"), nda.id, "NDA", terms_body("x"))
        ),
        Err(ServiceError::TemplateNotFound)
    ));
    assert!(matches!(
        block_on(w.app.delete_template(&ana, nda.id)),
        Err(ServiceError::TemplateInUse { shares: 1 })
    ));
    // Unsetting the reference keeps the text as the share's own; the template can go.
    let mut own = share.requested.clone();
    own.clickwrap_template = None;
    let (kept, _) = block_on(
        w.app
            .update_settings(&ana, share.id, own, PasswordChange::Keep),
    )
    .unwrap();
    assert_eq!(kept.settings.clickwrap, Some(terms("v1")));
    assert!(block_on(w.app.delete_template(&ana, nda.id)).unwrap());
    block_on(w.app.update_template(&ana, form.id, "Form 2", form_body())).unwrap();
}
