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
