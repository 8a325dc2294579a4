//! Capabilities, the creator's rights, the five allowed-action levels, and visitor actions.

use serde::{Deserialize, Serialize};
use std::fmt;

/// One thing a person may do with a file or folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    /// See what a folder holds.
    List,
    /// View a file in the browser (or its thumbnail).
    Preview,
    /// Save a file (or a ZIP of many).
    Download,
    /// Add new files.
    Upload,
    /// Make a new folder.
    CreateFolder,
    /// Rename, move, copy or delete.
    Modify,
    /// Create share links (a right of users, never of visitors).
    Share,
}

impl Capability {
    /// Every capability.
    pub const ALL: [Capability; 7] = [
        Capability::List,
        Capability::Preview,
        Capability::Download,
        Capability::Upload,
        Capability::CreateFolder,
        Capability::Modify,
        Capability::Share,
    ];

    const fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// A set of capabilities: a user's rights on a path, or what a share level grants.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(from = "Vec<Capability>", into = "Vec<Capability>")]
pub struct Rights(u8);

impl Rights {
    /// No rights.
    pub const NONE: Rights = Rights(0);
    /// Every right.
    pub const ALL: Rights = Rights(0x7f);

    /// The set of the given capabilities.
    pub const fn of(caps: &[Capability]) -> Self {
        let mut bits = 0;
        let mut i = 0;
        while i < caps.len() {
            bits |= caps[i].bit();
            i += 1;
        }
        Self(bits)
    }

    /// Whether `cap` is in the set.
    pub fn has(self, cap: Capability) -> bool {
        self.0 & cap.bit() != 0
    }

    /// The capabilities in both sets.
    pub fn intersect(self, other: Rights) -> Rights {
        Rights(self.0 & other.0)
    }

    /// The capabilities in either set.
    pub fn union(self, other: Rights) -> Rights {
        Rights(self.0 | other.0)
    }

    /// Whether every capability of `self` is in `other`.
    pub fn is_subset_of(self, other: Rights) -> bool {
        self.0 & !other.0 == 0
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The capabilities, in order.
    pub fn iter(self) -> impl Iterator<Item = Capability> {
        Capability::ALL.into_iter().filter(move |c| self.has(*c))
    }
}

impl From<Vec<Capability>> for Rights {
    fn from(caps: Vec<Capability>) -> Self {
        Rights::of(&caps)
    }
}
impl From<Rights> for Vec<Capability> {
    fn from(r: Rights) -> Self {
        r.iter().collect()
    }
}
impl fmt::Debug for Rights {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// What visitors of a share may do: one of five levels.
///
/// | level | list | preview | download | upload | create folder | rename/move/copy/delete |
/// |---|---|---|---|---|---|---|
/// | `PreviewOnly` | yes | yes | no | no | no | no |
/// | `Download` (default) | yes | yes | yes | no | no | no |
/// | `Upload` (drop box) | no | no | no | yes | no | no |
/// | `UploadDownload` | yes | yes | yes | yes | yes | no |
/// | `Full` | yes | yes | yes | yes | yes | yes |
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AllowedActions {
    /// Browse and preview only.
    PreviewOnly,
    /// Browse, preview and download.
    #[default]
    Download,
    /// A drop box: upload only, nothing visible.
    Upload,
    /// Browse, download, upload and make folders.
    UploadDownload,
    /// Everything, including rename, move, copy and delete.
    Full,
}

impl AllowedActions {
    /// Every level, most powerful first.
    pub const ALL: [AllowedActions; 5] = [
        AllowedActions::Full,
        AllowedActions::UploadDownload,
        AllowedActions::Download,
        AllowedActions::PreviewOnly,
        AllowedActions::Upload,
    ];

    /// The capabilities this level grants.
    pub fn rights(self) -> Rights {
        use Capability::*;
        match self {
            AllowedActions::PreviewOnly => Rights::of(&[List, Preview]),
            AllowedActions::Download => Rights::of(&[List, Preview, Download]),
            AllowedActions::Upload => Rights::of(&[Upload]),
            AllowedActions::UploadDownload => {
                Rights::of(&[List, Preview, Download, Upload, CreateFolder])
            }
            AllowedActions::Full => {
                Rights::of(&[List, Preview, Download, Upload, CreateFolder, Modify])
            }
        }
    }

    /// Whether the level needs at least one folder item (anything that uploads).
    pub fn needs_folder(self) -> bool {
        self.rights().has(Capability::Upload)
    }

    /// Whether file items are allowed (not in a drop box).
    pub fn allows_file_items(self) -> bool {
        self != AllowedActions::Upload
    }

    /// The most powerful level within both `self` and `rights`, if any.
    /// Levels are tried most powerful first, so a reduction keeps as much as it can.
    pub fn reduce_to(self, rights: Rights) -> Option<AllowedActions> {
        let limit = self.rights().intersect(rights);
        Self::ALL
            .into_iter()
            .find(|level| level.rights().is_subset_of(limit))
    }

    /// A stable name (`preview_only`, `download`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            AllowedActions::PreviewOnly => "preview_only",
            AllowedActions::Download => "download",
            AllowedActions::Upload => "upload",
            AllowedActions::UploadDownload => "upload_download",
            AllowedActions::Full => "full",
        }
    }
}

/// Something a visitor does with a share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Open the link (start a visitor session).
    Visit,
    /// List a folder.
    List,
    /// Preview a file (or fetch its thumbnail or metadata).
    Preview,
    /// Download one file.
    Download,
    /// Download many files (or everything) as one ZIP.
    DownloadAll,
    /// Upload a file.
    Upload,
    /// Make a folder.
    CreateFolder,
    /// Rename a file or folder.
    Rename,
    /// Move a file or folder.
    Move,
    /// Copy a file or folder.
    Copy,
    /// Delete a file or folder.
    Delete,
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 11] = [
        Action::Visit,
        Action::List,
        Action::Preview,
        Action::Download,
        Action::DownloadAll,
        Action::Upload,
        Action::CreateFolder,
        Action::Rename,
        Action::Move,
        Action::Copy,
        Action::Delete,
    ];

    /// The capability the action needs (`None` for opening the link).
    pub fn capability(self) -> Option<Capability> {
        Some(match self {
            Action::Visit => return None,
            Action::List => Capability::List,
            Action::Preview => Capability::Preview,
            Action::Download | Action::DownloadAll => Capability::Download,
            Action::Upload => Capability::Upload,
            Action::CreateFolder => Capability::CreateFolder,
            Action::Rename | Action::Move | Action::Copy | Action::Delete => Capability::Modify,
        })
    }

    /// Whether the action serves file bytes (a download in the use-limit sense).
    pub fn is_download(self) -> bool {
        matches!(self, Action::Download | Action::DownloadAll)
    }

    /// Whether the action changes files.
    pub fn is_write(self) -> bool {
        matches!(
            self,
            Action::Upload
                | Action::CreateFolder
                | Action::Rename
                | Action::Move
                | Action::Copy
                | Action::Delete
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Capability::*;

    #[test]
    fn level_table_matches_the_design() {
        // (level, list, preview, download, upload, create folder, modify)
        let table = [
            (
                AllowedActions::PreviewOnly,
                [true, true, false, false, false, false],
            ),
            (
                AllowedActions::Download,
                [true, true, true, false, false, false],
            ),
            (
                AllowedActions::Upload,
                [false, false, false, true, false, false],
            ),
            (
                AllowedActions::UploadDownload,
                [true, true, true, true, true, false],
            ),
            (AllowedActions::Full, [true, true, true, true, true, true]),
        ];
        for (level, row) in table {
            let caps = [List, Preview, Download, Upload, CreateFolder, Modify];
            for (cap, expected) in caps.iter().zip(row) {
                assert_eq!(level.rights().has(*cap), expected, "{level:?} {cap:?}");
            }
            assert!(!level.rights().has(Share));
        }
    }

    #[test]
    fn reduction_keeps_the_most_it_can() {
        let read_only = Rights::of(&[List, Preview, Download]);
        assert_eq!(
            AllowedActions::Full.reduce_to(read_only),
            Some(AllowedActions::Download)
        );
        assert_eq!(AllowedActions::Upload.reduce_to(read_only), None);
        assert_eq!(
            AllowedActions::Download.reduce_to(Rights::of(&[List, Preview])),
            Some(AllowedActions::PreviewOnly)
        );
        assert_eq!(
            AllowedActions::UploadDownload.reduce_to(Rights::of(&[Upload])),
            Some(AllowedActions::Upload)
        );
        assert_eq!(
            AllowedActions::Full.reduce_to(Rights::ALL),
            Some(AllowedActions::Full)
        );
    }

    #[test]
    fn rights_serialise_as_a_list() {
        let r = Rights::of(&[List, Share]);
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(json, r#"["list","share"]"#);
        assert_eq!(serde_json::from_str::<Rights>(&json).unwrap(), r);
    }

    proptest::proptest! {
        #[test]
        fn reduction_never_exceeds_either_side(bits in 0u8..0x80, idx in 0usize..5) {
            let rights = Rights::of(&Capability::ALL.into_iter().filter(|c| bits & (1 << (*c as u8)) != 0).collect::<Vec<_>>());
            let level = AllowedActions::ALL[idx];
            if let Some(reduced) = level.reduce_to(rights) {
                proptest::prop_assert!(reduced.rights().is_subset_of(rights));
                proptest::prop_assert!(reduced.rights().is_subset_of(level.rights()));
            } else {
                proptest::prop_assert!(AllowedActions::ALL.iter().all(|l| !l.rights().is_subset_of(rights.intersect(level.rights()))));
            }
        }
    }
}
