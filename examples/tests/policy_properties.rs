//! Property tests an embedder writes about sharelink's access decision, with the
//! scenario strategies of `sharelink_core::testing` (feature `proptest`).
//!
//! `admitted()` yields requests that pass every gate the share has (whatever gates a
//! future version adds), within its schedule, use limit, address list and the creator's
//! rights, at any level, aimed inside an item whose names come from a grammar (unicode,
//! dot-files, `..a`, long and deep paths). A property about allowed access then checks
//! hundreds of allowed requests instead of the handful a random scenario reaches.

use proptest::prelude::*;
use sharelink_core::testing::{Scenarios, admitted};
use sharelink_core::{
    Action, AllowedActions, CreatorRights, ItemKind, RequestMode, Resolved, decide,
};

proptest! {
    /// Checking an allowed request with a `HEAD` (as a link preview or a download
    /// manager does) is allowed too, and never spends a use or binds a device.
    #[test]
    fn a_head_of_an_allowed_request_costs_nothing(mut sc in admitted()) {
        sc.mode = RequestMode::Head;
        let grant = decide(&sc.request());
        prop_assert!(grant.is_ok(), "{:?}", grant);
        let grant = grant.unwrap_or_else(|_| unreachable!());
        prop_assert!(!grant.counts_use && !grant.bind_device);
    }

    /// What the page offers a visitor is within both the share's level and what the
    /// creator may still do.
    #[test]
    fn offered_rights_stay_within_level_and_creator(sc in admitted()) {
        let grant = decide(&sc.request()).expect("admitted");
        prop_assert!(grant.rights.is_subset_of(sc.share.settings.allowed.rights()));
        if let CreatorRights::Active(creator) = sc.creator {
            prop_assert!(grant.rights.is_subset_of(creator));
        }
    }

    /// An allowed upload to a drop box lands in one of its folders, at the place the
    /// share's storage path says.
    #[test]
    fn drop_box_uploads_land_in_a_shared_folder(
        sc in Scenarios::admitted()
            .levels(&[AllowedActions::Upload])
            .actions(&[Action::Upload])
    ) {
        let grant = decide(&sc.request()).expect("admitted");
        let Some(Resolved::Item { index, storage, .. }) = grant.target else {
            return Err(TestCaseError::fail("an upload without a folder"));
        };
        let item = &sc.share.items[index];
        prop_assert_eq!(item.kind, ItemKind::Folder);
        prop_assert!(storage.starts_with(&item.path));
    }
}
