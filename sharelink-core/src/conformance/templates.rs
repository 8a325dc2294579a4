//! Conformance cases of the template store ([`TemplateStore`]).
//!
//! Run with [`crate::repository_conformance!`].

use super::repository::*;
use crate::ports::repository::*;
use crate::*;

/// Templates are stored per owner, listed, and deleted only by their owner.
pub async fn templates((repo, _): Stores) {
    let form = TemplateBody::Form {
        form: RegistrationForm::Default,
    };
    let terms = TemplateBody::Clickwrap {
        clickwrap: Clickwrap {
            title: "NDA".into(),
            terms: "Keep it secret.".into(),
        },
    };
    let t1 = repo
        .put_template(&user("ana"), "Default form", &form)
        .await
        .expect("put");
    let t2 = repo
        .put_template(&user("ana"), "NDA", &terms)
        .await
        .expect("put");
    repo.put_template(&user("bob"), "Bob's", &form)
        .await
        .expect("put");
    let list = repo.list_templates(&user("ana")).await.expect("list");
    assert_eq!(list.len(), 2);
    assert!(list.contains(&t1) && list.contains(&t2));
    assert!(
        !repo
            .delete_template(&user("bob"), t1.id)
            .await
            .expect("delete")
    );
    assert!(
        repo.delete_template(&user("ana"), t1.id)
            .await
            .expect("delete")
    );
    assert_eq!(
        repo.list_templates(&user("ana")).await.expect("list"),
        vec![t2]
    );
}

/// A template is read and replaced by its owner only; the replacement reads back.
pub async fn template_replaced_by_owner((repo, _): Stores) {
    let terms = |text: &str| TemplateBody::Clickwrap {
        clickwrap: Clickwrap {
            title: "Terms".into(),
            terms: text.into(),
        },
    };
    let t = repo
        .put_template(&user("ana"), "Terms", &terms("v1"))
        .await
        .expect("put");
    assert_eq!(
        repo.get_template(&user("ana"), t.id).await.expect("get"),
        Some(t.clone())
    );
    assert_eq!(
        repo.get_template(&user("bob"), t.id).await.expect("get"),
        None
    );
    assert_eq!(
        repo.update_template(&user("bob"), t.id, "Bob's", &terms("bob"))
            .await
            .expect("update"),
        None
    );
    assert_eq!(
        repo.update_template(&user("ana"), t.id + 1000, "X", &terms("x"))
            .await
            .expect("update"),
        None
    );
    let replaced = repo
        .update_template(&user("ana"), t.id, "Terms 2", &terms("v2"))
        .await
        .expect("update")
        .expect("the owner's template");
    assert_eq!(replaced.id, t.id);
    assert_eq!(replaced.name, "Terms 2");
    assert_eq!(
        repo.get_template(&user("ana"), t.id).await.expect("get"),
        Some(replaced.clone())
    );
    assert_eq!(
        repo.list_templates(&user("ana")).await.expect("list"),
        vec![replaced]
    );
}
