//! Test support for users of sharelink: proptest [`strategies`] for the domain types,
//! access [`scenario`]s aimed at an outcome, [`names`] and paths from a grammar, and
//! [`fixtures`] (a world of in-memory ports with users and files, paths, share requests)
//! written once for core's tests, the adapters' tests and yours.
//!
//! Enable the `proptest` feature.
//!
//! # Scenarios that reach the interesting cases
//!
//! A property about granted access needs scenarios that are granted; one about a refusal
//! needs scenarios refused for that reason. [`admitted`] gives the first: every gate the
//! share has is passed (derived from [`Gate::ORDER`](crate::policy::Gate::ORDER), so a new
//! gate is covered without changing your test), the request is within the schedule, the
//! use limit, the address list and the creator's rights, at any level, and its target
//! lies inside an item. [`denied_by`] gives scenarios [`decide`](crate::decide) refuses for
//! one [`DenialKind`], every check before it passed; [`stopped_at`] those stopped at one
//! gate. [`Scenarios`] narrows any of them to levels and actions, and
//! [`access_scenario`] mixes them all. File names and paths come from [`names`]:
//! unicode, dot-files, near-traversal shapes, long and deep paths, invisible characters,
//! refused extensions.
//!
//! Three denials come from the service, never from `decide`, so no scenario produces
//! them: `NoSession`, `TooManyAttempts` and `InvitationAlreadyUsed` (see [`DenialKind`]).
//!
//! ## Worked example: a property of granted access
//!
//! Whatever the names in the share (a `..a` folder, a 250-byte unicode file name, an
//! alias), whatever the level, a grant reaches storage only inside the item it names and
//! never gives more than the share's level:
//!
//! ```
//! use proptest::prelude::*;
//! use sharelink_core::testing::admitted;
//! use sharelink_core::{decide, Resolved};
//!
//! proptest!(|(sc in admitted())| {
//!     let grant = decide(&sc.request()).expect("an admitted scenario is granted");
//!     for r in [&grant.target, &grant.destination].into_iter().flatten() {
//!         if let Resolved::Item { index, storage, .. } = r {
//!             prop_assert!(storage.starts_with(&sc.share.items[*index].path));
//!         }
//!     }
//!     prop_assert!(grant.rights.is_subset_of(sc.share.settings.allowed.rights()));
//! });
//! ```
//!
//! ## Worked example: what a refusal asks of the visitor
//!
//! A request refused for want of confirmation is granted once confirmed, and then it
//! spends a use or binds the device; a visitor stopped at the password gate who passes
//! every gate is no longer asked for the password:
//!
//! ```
//! use proptest::prelude::*;
//! use sharelink_core::policy::Gate;
//! use sharelink_core::testing::{denied_by, open_gates, stopped_at, DenialKind};
//! use sharelink_core::{decide, Denial, RequestMode};
//!
//! proptest!(|(mut sc in denied_by(DenialKind::ConfirmationRequired))| {
//!     sc.mode = RequestMode::Confirmed;
//!     let grant = decide(&sc.request()).expect("granted once confirmed");
//!     prop_assert!(grant.counts_use || grant.bind_device);
//! });
//!
//! proptest!(|(mut sc in stopped_at(Gate::Password))| {
//!     open_gates(&sc.share, &sc.site, &mut sc.session);
//!     prop_assert_ne!(decide(&sc.request()), Err(Denial::PasswordRequired));
//! });
//! ```

pub mod fixtures;
pub mod names;
pub mod scenario;
pub mod strategies;

pub use scenario::{
    DenialKind, Outcome, Scenarios, admissible, admitted, admitted_at, denied_by, open_gates,
    stopped_at, tangled_scenario,
};
pub use strategies::*;
