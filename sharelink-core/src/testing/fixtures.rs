//! Fixtures: the test world every suite starts from, written once.
//!
//! [`World`] is sharelink over [`InMemory`] ports with three people and a small tree of
//! files; [`people`], [`put_file`] and [`share_request`] build the same things over any
//! other ports (the end-to-end suites use them with real databases and stores).
//!
//! ```
//! use sharelink_core::testing::fixtures::{World, path, share_request};
//! use sharelink_core::AllowedActions;
//!
//! let world = World::new();
//! let created = futures::executor::block_on(world.app.create_share(
//!     &world.ana(),
//!     share_request(&["docs/reports"], |s| s.allowed = AllowedActions::Download),
//! ))
//! .unwrap();
//! assert_eq!(created.share.items[0].path, path("docs/reports"));
//! ```

use crate::memory::{InMemory, MemoryDirectory};
use crate::policy::Gate;
use crate::ports::{ByteStream, FileStore, FileStoreError, UserInfo, WriteOptions};
use crate::service::{Client, Config, CreateShare, NewItem, Sharelink};
use crate::{
    BrowserId, Capability, DeviceId, Email, Rights, Share, SharePath, ShareSettings, SiteSettings,
    UserId, VisitorSession,
};
use bytes::Bytes;
use time::OffsetDateTime;
use time::macros::datetime;

/// The instant the world's clock starts at.
pub const T0: OffsetDateTime = datetime!(2026-11-23 09:00 UTC);

/// Where the world's links start.
pub const LINK_BASE: &str = "https://x.test/s/";

/// The files of the world: path and content.
pub const FILES: &[(&str, &[u8])] = &[
    ("docs/reports/a.txt", b"alpha"),
    ("docs/reports/sub/b.pdf", b"%PDF-bravo"),
    ("docs/reports/page.html", b"<script>alert(1)</script>"),
    ("docs/plan.pdf", b"plan"),
    ("docs/app.apk", b"apk"),
];

/// The empty folders of the world.
pub const FOLDERS: &[&str] = &["docs/drop"];

/// A user id (panics on an invalid one: for tests).
pub fn user(id: &str) -> UserId {
    UserId::parse(id).expect("a valid user id")
}

/// A share path (panics on an invalid one: for tests).
pub fn path(p: &str) -> SharePath {
    SharePath::parse(p).expect("a valid path")
}

/// `data` as a byte stream in chunks of at most `chunk` bytes (at least 1).
pub fn chunks(data: &[u8], chunk: usize) -> ByteStream {
    let parts: Vec<Result<Bytes, FileStoreError>> = data
        .chunks(chunk.max(1))
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    Box::pin(futures::stream::iter(parts))
}

/// Writes (or overwrites) a file.
///
/// # Panics
/// When the store refuses: for tests.
pub async fn put_file(files: &dyn FileStore, p: &str, data: &[u8]) {
    files
        .write(
            &path(p),
            chunks(data, 7),
            WriteOptions {
                overwrite: true,
                max_bytes: None,
            },
        )
        .await
        .unwrap_or_else(|e| panic!("writing {p}: {e}"));
}

/// A person of a test world.
#[derive(Debug, Clone, Copy)]
pub struct Person {
    /// User id.
    pub id: &'static str,
    /// Whether an administrator.
    pub admin: bool,
    /// Folders and the rights on them.
    pub rights: &'static [(&'static str, Rights)],
}

/// What Bob may do on `docs`: read and share, not change.
pub const READ_AND_SHARE: Rights = Rights::of(&[
    Capability::List,
    Capability::Preview,
    Capability::Download,
    Capability::Share,
]);

/// The world's people: Ana (everything on `docs`), Bob (read and share on `docs`), and
/// Root (administrator, everything everywhere).
pub const PEOPLE: &[Person] = &[
    Person {
        id: "ana",
        admin: false,
        rights: &[("docs", Rights::ALL)],
    },
    Person {
        id: "bob",
        admin: false,
        rights: &[("docs", READ_AND_SHARE)],
    },
    Person {
        id: "root",
        admin: true,
        rights: &[("", Rights::ALL)],
    },
];

/// Puts `people` into a directory, each with the address `email(id)`.
pub fn people(dir: &MemoryDirectory, people: &[Person], email: impl Fn(&str) -> Email) {
    for p in people {
        dir.put_user(UserInfo {
            id: user(p.id),
            display_name: p.id.to_uppercase(),
            email: Some(email(p.id)),
            is_admin: p.admin,
            disabled: false,
        });
        for (folder, rights) in p.rights {
            let folder = if folder.is_empty() {
                SharePath::root()
            } else {
                path(folder)
            };
            dir.grant(&user(p.id), folder, *rights);
        }
    }
}

/// The address people of the world have: `{id}@corp.example`.
pub fn corp_email(id: &str) -> Email {
    Email::parse(&format!("{id}@corp.example")).expect("a valid address")
}

/// A request to share `items` (no aliases) with settings named "Test share", changed by
/// `f`.
pub fn share_request(items: &[&str], f: impl FnOnce(&mut ShareSettings)) -> CreateShare {
    let mut settings = ShareSettings::named("Test share");
    f(&mut settings);
    CreateShare {
        items: items
            .iter()
            .map(|p| NewItem {
                path: path(p),
                alias: None,
            })
            .collect(),
        settings,
        password: None,
        custom_key: None,
    }
}

/// A visitor's browser: address 192.0.2.10, its own browser and device ids.
pub fn client(browser: &str) -> Client {
    Client {
        ip: Some("192.0.2.10".parse().expect("an address")),
        user_agent: Some("test".into()),
        browser: BrowserId::parse(browser).expect("a valid browser id"),
        device: Some(DeviceId::parse(&format!("dev-{browser}")).expect("a valid device id")),
        user: None,
        locale: None,
    }
}

/// sharelink over in-memory ports, with [`PEOPLE`], [`FILES`] and [`FOLDERS`], the clock
/// at [`T0`] and links under [`LINK_BASE`].
#[derive(Debug, Clone)]
pub struct World {
    /// The application.
    pub app: Sharelink,
    /// Its ports, to look inside or act on them.
    pub mem: InMemory,
}

impl Default for World {
    fn default() -> Self {
        Self::new()
    }
}

impl World {
    /// The world with the default site policy.
    pub fn new() -> Self {
        Self::with_site(SiteSettings::default())
    }

    /// The world with `site` as its policy.
    ///
    /// # Panics
    /// When `site` contradicts itself: for tests.
    pub fn with_site(site: SiteSettings) -> Self {
        let mem = InMemory::new(T0);
        people(&mem.directory, PEOPLE, corp_email);
        futures::executor::block_on(async {
            for (p, data) in FILES {
                put_file(mem.files.as_ref(), p, data).await;
            }
            for f in FOLDERS {
                mem.files
                    .create_folder(&path(f))
                    .await
                    .unwrap_or_else(|e| panic!("creating {f}: {e}"));
            }
        });
        Self::over(mem, site)
    }

    /// sharelink over `mem` as it is (no people or files added).
    ///
    /// # Panics
    /// When `site` contradicts itself: for tests.
    pub fn over(mem: InMemory, site: SiteSettings) -> Self {
        let app = Sharelink::new(mem.ports(), Config::new(LINK_BASE).with_site(site))
            .expect("a valid site policy");
        Self { app, mem }
    }

    /// Ana, who may do everything on `docs`.
    pub fn ana(&self) -> UserId {
        user("ana")
    }
}

/// The session with every gate whose fact it holds (password given, registration,
/// terms accepted) passed under the share's current configuration, as the service
/// stamps it when a visitor passes the gate: for building sessions by hand in tests.
pub fn passed_now(share: &Share, session: &VisitorSession) -> VisitorSession {
    let mut s = session.clone();
    for (gate, passed) in [
        (Gate::Password, s.password_passed),
        (Gate::Registration, s.registration.is_some()),
        (Gate::Clickwrap, s.clickwrap_accepted),
    ] {
        if passed {
            gate.stamp_passed(share, &mut s);
        }
    }
    s
}

/// A [`SiteSettingsStore`](crate::ports::SiteSettingsStore) that counts the loads it
/// passes on to another: to show how often an application really reads the site
/// settings (its cache at work).
#[derive(Debug)]
pub struct CountingSiteStore {
    inner: std::sync::Arc<dyn crate::ports::SiteSettingsStore>,
    loads: std::sync::atomic::AtomicUsize,
}

impl CountingSiteStore {
    /// Counting the loads passed to `inner`.
    pub fn new(inner: std::sync::Arc<dyn crate::ports::SiteSettingsStore>) -> Self {
        Self {
            inner,
            loads: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// How many loads were passed on so far.
    pub fn loads(&self) -> usize {
        self.loads.load(std::sync::atomic::Ordering::SeqCst)
    }
}

#[async_trait::async_trait]
impl crate::ports::SiteSettingsStore for CountingSiteStore {
    async fn load(
        &self,
    ) -> Result<Option<crate::ports::site::StoredSite>, crate::ports::RepoError> {
        self.loads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.load().await
    }

    async fn save(
        &self,
        expected_version: u64,
        settings: &SiteSettings,
        by: &UserId,
        at: time::OffsetDateTime,
    ) -> Result<crate::ports::site::StoredSite, crate::ports::site::SiteSaveError> {
        self.inner.save(expected_version, settings, by, at).await
    }
}

/// Site settings with every field away from its default, so a field a store drops, or a
/// form leaves out, shows.
pub fn unusual_settings() -> crate::SiteSettings {
    use crate::{
        AccessControl, Clickwrap, Email, EmailPattern, FieldKind, FormField, LogPrivacy,
        RegistrationForm, SiteSettings, UseLimit, UseUnit,
    };
    use time::Duration;
    let mut s = SiteSettings {
        default_lifetime: Some(Duration::days(7)),
        min_lifetime: Some(Duration::hours(1)),
        max_lifetime: Some(Duration::days(90)),
        require_password: true,
        password_min_len: 12,
        device_binding: true,
        shares_per_user_per_day: Some(3),
        refused_extensions: vec!["exe".to_owned(), "msi".to_owned(), "tar-gz".to_owned()],
        one_active_share_per_recipient_item: true,
        max_items: 17,
        notification_sender: Some(Email::parse("shares@example.org").expect("an address")),
        log_privacy: LogPrivacy {
            truncate_ip: true,
            ipv4_prefix: 16,
            ipv6_prefix: 40,
            retention: Some(Duration::days(180)),
        },
        expiry_reminder: None,
        ..SiteSettings::default()
    };
    s.custom_keys.allowed = true;
    s.custom_keys.min_len = 10;
    s.branding.site_title = "Dépôt «partagé»".to_owned();
    s.branding.sender_name = "Équipe 共有".to_owned();
    s.branding.logo_url = Some("https://example.org/logo.svg".to_owned());
    s.branding.accent_color = Some("#0a7d5a".to_owned());
    s.branding.favicon_url = Some("/favicon.ico".to_owned());
    s.branding.footer_text = Some("Société « Dépôt »\nImpressum".to_owned());
    s.branding.stylesheet_url = Some("https://example.org/site.css".to_owned());
    s.attempts.per_client = 3;
    s.attempts.window = Duration::minutes(7);
    s.one_time_codes.digits = 8;
    s.one_time_codes.ttl = Duration::minutes(3);
    s.share_defaults.access = AccessControl::VerifiedEmails(vec![
        EmailPattern::parse("*@example.org").expect("a pattern"),
    ]);
    s.share_defaults.use_limit = Some(UseLimit {
        max: 5,
        unit: UseUnit::Visit,
    });
    s.share_defaults.registration = Some(
        RegistrationForm::custom(vec![FormField {
            label: "Company".to_owned(),
            description: None,
            required: true,
            kind: FieldKind::ShortAnswer,
        }])
        .expect("a form"),
    );
    s.share_defaults.clickwrap = Some(Clickwrap {
        title: "Terms".to_owned(),
        terms: "Do not forward.".to_owned(),
    });
    s
}
