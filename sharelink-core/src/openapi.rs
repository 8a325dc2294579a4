//! (feature `openapi`) OpenAPI schemas of the value types that serialize as plain text
//! or numbers (`try_from = "String"`, `transparent`), so the schemas derived for settings
//! and shares say what the JSON really holds. The derived ones sit beside each type
//! (`cfg_attr(feature = "openapi", derive(utoipa::ToSchema))`), reading the same serde
//! attributes the JSON is written with, so the document cannot drift from it.

use crate::{
    Email, EmailPattern, IpAllowList, RecipientId, RegistrationId, ShareId, SharePath, UserId,
};
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::{KnownFormat, RefOr};

/// A string schema with a description, an example and an optional format.
fn text(description: &str, example: &str, format: Option<KnownFormat>) -> RefOr<Schema> {
    let mut b = ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .examples([serde_json::json!(example)]);
    if let Some(f) = format {
        b = b.format(Some(SchemaFormat::KnownFormat(f)));
    }
    RefOr::T(Schema::Object(b.build()))
}

/// An integer id schema.
fn id(description: &str) -> RefOr<Schema> {
    RefOr::T(Schema::Object(
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
            .description(Some(description))
            .examples([serde_json::json!(1)])
            .build(),
    ))
}

macro_rules! schema {
    ($ty:ty, $body:expr) => {
        impl utoipa::PartialSchema for $ty {
            fn schema() -> RefOr<Schema> {
                $body
            }
        }
        impl utoipa::ToSchema for $ty {}
    };
}

schema!(
    SharePath,
    text(
        "A path in the file store, relative, `/`-separated, without `.` or `..` parts",
        "projects/apollo/plan.txt",
        None
    )
);
schema!(
    Email,
    text(
        "An email address",
        "ana@example.com",
        Some(KnownFormat::Email)
    )
);
schema!(
    EmailPattern,
    text(
        "An email address, or `*@domain` for every address of a domain",
        "*@example.com",
        None
    )
);
schema!(
    UserId,
    text(
        "The embedding application's user id (printable ASCII, no spaces)",
        "alice",
        None
    )
);
schema!(ShareId, id("A share's id"));
schema!(RecipientId, id("A recipient's id"));
schema!(RegistrationId, id("A registration's id"));
schema!(
    IpAllowList,
    RefOr::T(Schema::Array(
        ArrayBuilder::new()
            .items(text(
                "An IPv4 or IPv6 address or CIDR network",
                "192.0.2.0/24",
                None
            ))
            .description(Some("Client addresses allowed (empty: all)"))
            .build()
    ))
);
