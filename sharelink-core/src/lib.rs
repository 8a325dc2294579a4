//! sharelink-core: the pure domain model, policy rules and ports of sharelink.
//!
//! Everything that decides anything about a share link lives here, free of IO: the
//! [`Share`] aggregate and its settings, the five [`AllowedActions`] levels, use limits,
//! gates, URL keys, path confinement, the requested → effective policy
//! ([`policy::apply_policy`]) and the one access decision ([`policy::decide`]).
//! Adapter crates implement the [`ports`] for databases, object storage, HTTP and mail.
//!
//! ```
//! use sharelink_core::*;
//! use sharelink_core::policy::{apply_policy, PolicyInput};
//! use time::macros::datetime;
//!
//! let items = vec![ShareItem::new(SharePath::parse("reports").unwrap(), ItemKind::Folder, None).unwrap()];
//! let mut requested = ShareSettings::named("Q3 reports");
//! requested.allowed = AllowedActions::Full;
//! // The creator may read and share, but not change, this folder:
//! let rights = [Rights::of(&[Capability::List, Capability::Preview, Capability::Download, Capability::Share])];
//! let site = SiteSettings::default();
//! let effective = apply_policy(&PolicyInput {
//!     requested: &requested, items: &items, creator_rights: &rights, site: &site,
//!     now: datetime!(2026-11-23 10:00 UTC),
//! }).unwrap();
//! assert_eq!(effective.settings.allowed, AllowedActions::Download);
//! assert_eq!(effective.adjustments.len(), 2); // level reduced, expiry defaulted
//! ```
//!
//! # Features
//! | feature | what it adds |
//! |---|---|
//! | `proptest` | [`testing`]: proptest strategies for shares, settings, sessions and paths; access scenarios admitted or denied for a chosen reason |
//! | `conformance` | `conformance`: the behaviour suites every adapter runs (implies `proptest`) |
//! | `openapi` | OpenAPI schemas (utoipa `ToSchema`) of settings, shares, log events and statistics, for the management API's document |
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "conformance")]
pub mod conformance;
mod error;
pub mod memory;
pub mod model;
#[cfg(feature = "openapi")]
mod openapi;
pub mod policy;
pub mod ports;
pub mod service;
pub mod telemetry;
#[cfg(any(test, feature = "proptest"))]
pub mod testing;
pub mod text;

pub use error::*;
pub use model::email::{Email, EmailPattern};
pub use model::form::{Answer, FieldKind, FormField, Registration, RegistrationForm};
pub use model::ids::*;
pub use model::ip::{IpAllowList, IpNet, truncate_ip};
pub use model::key::{CustomKeyRules, UrlKey};
pub use model::media::{MediaType, Preview};
pub use model::notify::{Activity, ActivityKind, Notice, OwnerNotifications};
pub use model::password::{Argon2Params, AutofillCode, PasswordHash, PlainPassword};
pub use model::path::SharePath;
pub use model::rights::{Action, AllowedActions, Capability, Rights};
pub use model::session::VisitorSession;
pub use model::share::{
    AccessControl, Adjustment, Binding, Clickwrap, ItemKind, Recipient, RecipientState, Resolved,
    Schedule, Share, ShareItem, ShareMode, ShareSettings, ShareState, UploadRules, UploadViolation,
    UploaderFolder, UseLimit, UseUnit, Watermark, WatermarkVars,
};
pub use model::site::*;
pub use policy::{AccessRequest, CreatorRights, Denial, Grant, RequestMode, UploadInfo, decide};
