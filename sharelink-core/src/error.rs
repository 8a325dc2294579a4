//! Error kinds of the domain model: what was wrong with a piece of input.
//!
//! Each validating constructor returns one of these. They never carry secrets
//! (passwords, codes, keys), only what a caller needs to fix the input.

use thiserror::Error;

/// An identifier that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum IdError {
    /// Empty or longer than allowed.
    #[error("{kind} must be 1 to {max} characters long")]
    Length {
        /// Which identifier.
        kind: &'static str,
        /// Maximum length.
        max: usize,
    },
    /// Contains spaces, control or non-ASCII characters.
    #[error("{kind} may hold printable ASCII characters only, without spaces")]
    Characters {
        /// Which identifier.
        kind: &'static str,
    },
}

/// A path that is not a normalised relative path.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum PathError {
    /// Starts with `/`.
    #[error("path must be relative, not absolute")]
    Absolute,
    /// A `..` segment.
    #[error("path may not contain `..`")]
    ParentSegment,
    /// A `.` segment.
    #[error("path may not contain `.` segments")]
    DotSegment,
    /// Two slashes in a row, or a trailing slash.
    #[error("path may not contain empty segments")]
    EmptySegment,
    /// A backslash.
    #[error("path may not contain backslashes")]
    Backslash,
    /// NUL or another control character.
    #[error("path may not contain NUL or control characters")]
    ControlCharacter,
    /// Longer than the limits.
    #[error("path is too long (at most {max_bytes} bytes, {max_segment} per segment)")]
    TooLong {
        /// Limit on the whole path.
        max_bytes: usize,
        /// Limit on one segment.
        max_segment: usize,
    },
    /// The root was given where a named file or folder is required.
    #[error("path must name a file or folder, not the root")]
    Root,
    /// A new name holds a character that is invisible or turns the text around (a
    /// Unicode format character such as U+202E RIGHT-TO-LEFT OVERRIDE), so it could pose
    /// as another name (`invoice\u{202E}fdp.exe` shows as `invoiceexe.pdf`).
    #[error(
        "names may not hold invisible or direction-changing characters (found U+{:04X})",
        u32::from(*.0)
    )]
    InvisibleCharacter(char),
}

/// An email address or pattern that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum EmailError {
    /// Not of the form `local@domain.tld`.
    #[error("`{0}` is not a valid email address")]
    Invalid(String),
    /// A pattern that is neither an address nor `*@domain` nor `*@*.domain`.
    #[error(
        "`{0}` is not a valid email pattern (use name@example.com, *@example.com or *@*.example.com)"
    )]
    InvalidPattern(String),
}

/// A URL key that could not be accepted.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum KeyError {
    /// Custom keys are switched off in the site settings.
    #[error("custom link keys are not allowed on this site")]
    CustomKeysDisabled,
    /// Characters other than ASCII letters and digits.
    #[error("a link key may hold letters and digits only")]
    Characters,
    /// Shorter than the site minimum, or longer than the maximum.
    #[error("a link key must be {min} to {max} characters long")]
    Length {
        /// Minimum length.
        min: usize,
        /// Maximum length.
        max: usize,
    },
    /// On the list of commonly guessed words.
    #[error("this link key is too easy to guess; choose another")]
    Guessable,
}

/// An IP network in CIDR notation that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CidrError {
    /// Not an address or `address/prefix`.
    #[error("`{0}` is not an IP address or CIDR network")]
    Invalid(String),
    /// Prefix longer than the address family allows.
    #[error("prefix length {prefix} is too long for `{text}`")]
    PrefixTooLong {
        /// The input.
        text: String,
        /// The prefix given.
        prefix: u8,
    },
}

/// A password that breaks the password policy, or a hash that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum PasswordError {
    /// Shorter than the minimum.
    #[error("password must be at least {min} characters long")]
    TooShort {
        /// Minimum length in characters.
        min: usize,
    },
    /// Longer than the maximum (hashing cost is bounded).
    #[error("password must be at most {max} characters long")]
    TooLong {
        /// Maximum length in characters.
        max: usize,
    },
    /// A stored hash is not an argon2id PHC string.
    #[error("stored password hash is not an argon2id PHC string")]
    BadHash,
    /// Hashing failed.
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

/// A registration form definition, or a submission to it, that is not valid.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum FormError {
    /// A form with no fields, or too many.
    #[error("a custom form needs 1 to {max} fields")]
    FieldCount {
        /// Maximum number of fields.
        max: usize,
    },
    /// A field label is empty or too long, or two fields share a label.
    #[error("field label `{0}` is empty, too long or repeated")]
    BadLabel(String),
    /// A choice field has no options, a blank one, or repeats one.
    #[error("field `{0}` needs distinct, non-empty options")]
    BadOptions(String),
    /// A required field was left empty.
    #[error("`{0}` is required")]
    Missing(String),
    /// An answer is too long.
    #[error("the answer to `{field}` is longer than {max} characters")]
    TooLong {
        /// The field label.
        field: String,
        /// Maximum length.
        max: usize,
    },
    /// A choice that is not one of the field's options.
    #[error("`{0}` is not one of the options")]
    NotAnOption(String),
    /// An answer for a field the form does not have.
    #[error("the form has no field `{0}`")]
    UnknownField(String),
    /// The email field does not hold a valid address.
    #[error("a valid email address is required")]
    BadEmail,
    /// An answer holds control characters.
    #[error("the answer to `{0}` holds control characters")]
    ControlCharacters(String),
}

/// Share settings that cannot be accepted (as opposed to ones policy adjusts).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SettingsError {
    /// A share with no items.
    #[error("a share needs at least one item")]
    NoItems,
    /// More items than allowed.
    #[error("a share may have at most {max} items")]
    TooManyItems {
        /// The limit.
        max: usize,
    },
    /// Two items would show under the same name.
    #[error("two items share the display name `{0}`")]
    DuplicateItemName(String),
    /// An alias is empty, too long or holds `/` or control characters.
    #[error("alias `{0}` is not a valid display name")]
    BadAlias(String),
    /// An alias holds an invisible or direction-changing character (see
    /// [`PathError::InvisibleCharacter`]); the alias itself is not repeated, as it could
    /// show as something else.
    #[error(
        "an alias may not hold invisible or direction-changing characters (found U+{:04X})",
        u32::from(*.0)
    )]
    AliasCharacter(char),
    /// Upload levels need a folder.
    #[error("`{0}` needs at least one folder item")]
    NeedsFolder(&'static str),
    /// The drop-box level allows no file items.
    #[error("an upload-only share may contain folders only")]
    UploadOnlyHasFile,
    /// Expiry earlier than the start of today (in the creator's time zone).
    #[error("the expiry date is in the past")]
    ExpiryInPast,
    /// Start date not before expiry.
    #[error("the start date must be before the expiry date")]
    StartAfterExpiry,
    /// A use limit of zero.
    #[error("a use limit must be at least 1")]
    ZeroUseLimit,
    /// Name empty or too long.
    #[error("share name must be 1 to {max} characters")]
    BadName {
        /// The limit.
        max: usize,
    },
    /// A free text (description, note, terms, watermark) too long.
    #[error("`{field}` is longer than {max} characters")]
    TextTooLong {
        /// Which field.
        field: &'static str,
        /// The limit.
        max: usize,
    },
    /// Verified-emails access control with no patterns.
    #[error("verified-email access needs at least one email pattern")]
    NoEmailPatterns,
    /// An inbox was set on a share whose level allows no uploads… or the inbox is not a folder.
    #[error("the inbox must be a folder the creator may upload to")]
    BadInbox,
    /// Upload rule sizes of zero.
    #[error("upload size limits must be at least 1 byte")]
    ZeroUploadLimit,
    /// A password that breaks the site's password policy.
    #[error(transparent)]
    Password(#[from] PasswordError),
    /// A bad custom key.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// A bad custom form.
    #[error(transparent)]
    Form(#[from] FormError),
    /// The creator lacks the share right on an item.
    #[error("you may not share `{0}`")]
    NoShareRight(String),
    /// A template reference names none of the owner's templates.
    #[error("template {0} does not exist (or is not yours)")]
    NoSuchTemplate(i64),
    /// A template reference names a template of the other kind.
    #[error("template {id} is not a {expected} template")]
    TemplateKind {
        /// The template named.
        id: i64,
        /// The kind the setting needs: `form` or `clickwrap`.
        expected: &'static str,
    },
    /// The creator has no right at all that the share could grant on an item.
    #[error("you have no rights on `{0}` that a share could grant")]
    NoRightsOnItem(String),
    /// The daily quota of new shares is used up.
    #[error("you have created the maximum of {max} shares today")]
    DailyQuota {
        /// The quota.
        max: u32,
    },
    /// Auto-fill was turned on without a password to put in the link: only its hash is
    /// kept, so the password must be given (or generated) again.
    #[error("auto-fill puts the password in the link: set or generate the password to turn it on")]
    AutofillNeedsPassword,
    /// A time zone that is not an IANA time-zone name (such as `Europe/Paris`).
    #[error("`{0}` is not a known time zone (use an IANA name such as Europe/Paris)")]
    UnknownTimeZone(String),
    /// Site settings that contradict themselves or break a bound.
    #[error("site setting `{field}` {problem}")]
    Site {
        /// The setting at fault, as a path (`attempts.per_client`).
        field: &'static str,
        /// What it must be.
        problem: &'static str,
    },
}
