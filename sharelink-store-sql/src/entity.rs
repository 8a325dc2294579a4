//! sea-orm entities: one module per table. Structured values are JSON text; instants are
//! nanoseconds since the Unix epoch; the columns queries need are kept apart and indexed
//! (see the migration).
#![allow(unreachable_pub, missing_docs)]

/// Shares (`sl_shares`).
pub mod share {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sl_shares")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        /// The key as chosen (case kept).
        pub key_text: String,
        /// The key in lower case (unique).
        pub key_folded: String,
        pub owner: String,
        /// The effective name in lower case, for search.
        pub name_folded: String,
        pub items: String,
        pub requested: String,
        pub settings: String,
        pub adjustments: String,
        pub password_hash: Option<String>,
        pub created_at: i64,
        pub updated_at: i64,
        pub starts_at: Option<i64>,
        pub expires_at: Option<i64>,
        /// The use limit's maximum (`None`: unlimited).
        pub use_max: Option<i64>,
        pub uses: i64,
        pub uploaded_bytes: i64,
        pub bound_device: Option<String>,
        /// When the owner was reminded of the current expiry (cleared when it changes).
        pub reminder_sent_at: Option<i64>,
        /// The readable access code of a share with auto-fill (secret).
        pub autofill_code: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Recipients of shares sent by email (`sl_recipients`).
pub mod recipient {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sl_recipients")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub share_id: i64,
        pub email: String,
        /// The normalised address, for lookups.
        pub email_norm: String,
        pub company: Option<String>,
        pub note: Option<String>,
        pub sent_at: Option<i64>,
        pub link_code: String,
        pub bound_browser: Option<String>,
        pub revoked_at: Option<i64>,
        pub expires_at: Option<i64>,
        pub last_access_at: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Registrations (`sl_registrations`).
pub mod registration {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sl_registrations")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub share_id: i64,
        pub answers: String,
        pub at: i64,
        pub ip: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Visitor sessions (`sl_sessions`).
pub mod session {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sl_sessions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub share_id: i64,
        pub created_at: i64,
        /// The whole session as JSON.
        pub data: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Pending one-time codes, one per session (`sl_codes`).
pub mod code {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sl_codes")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub session_id: String,
        pub share_id: i64,
        pub email: String,
        pub code: String,
        pub expires_at: i64,
        pub attempts_left: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Dedup keys of counted uses (`sl_reservations`).
pub mod reservation {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sl_reservations")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub share_id: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub dedup: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Brute-force counters (`sl_attempts`).
pub mod attempt {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sl_attempts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub share_id: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub scope: String,
        /// `*` for the counter of all clients, else `=` and the client.
        #[sea_orm(primary_key, auto_increment = false)]
        pub client: String,
        pub window_start: i64,
        pub hits: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Share creations per owner and UTC day, for the daily quota (`sl_creations`).
pub mod creation {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sl_creations")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub owner: String,
        /// Days since 1970-01-01 (UTC).
        #[sea_orm(primary_key, auto_increment = false)]
        pub day: i64,
        pub count: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Owners' templates (`sl_templates`).
pub mod template {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sl_templates")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub owner: String,
        pub name: String,
        pub body: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Access-log events (`sl_log_events`).
pub mod log_event {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sl_log_events")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub share_id: i64,
        pub at: i64,
        pub kind: String,
        pub paths: String,
        pub bytes: Option<i64>,
        pub ip: Option<String>,
        pub user_agent: Option<String>,
        pub visitor: Option<String>,
        pub email: Option<String>,
        pub registration: Option<i64>,
        pub detail: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The mail queue (`sl_mail_queue`).
pub mod queued_mail {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sl_mail_queue")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub share_id: Option<i64>,
        pub owner: Option<String>,
        pub recipient: String,
        pub kind: String,
        /// The mail's JSON (holds links and codes: secret).
        pub mail: String,
        pub state: String,
        pub attempts: i64,
        pub next_attempt_at: i64,
        pub leased_until: Option<i64>,
        pub not_after: Option<i64>,
        pub last_error: Option<String>,
        pub queued_at: i64,
        pub updated_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Housekeeping leases (`sl_leases`).
pub mod lease {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sl_leases")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub job: String,
        pub holder: String,
        pub held_until: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Owner notifications waiting for the digest (`sl_digest_entries`).
pub mod digest_entry {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sl_digest_entries")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub recipient: String,
        pub share_id: i64,
        pub owner: String,
        pub time_zone: Option<String>,
        /// The notice's JSON.
        pub notice: String,
        pub at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Webhook endpoints (`sl_webhook_endpoints`).
pub mod webhook_endpoint {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sl_webhook_endpoints")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub owner: Option<String>,
        pub url: String,
        /// The signing secret (`whsec_…`).
        pub secret: String,
        pub created_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The webhook outbox (`sl_webhook_deliveries`).
pub mod webhook_delivery {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sl_webhook_deliveries")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub endpoint_id: i64,
        pub endpoint_owner: Option<String>,
        pub message_id: String,
        pub share_id: i64,
        pub event_type: String,
        pub payload: String,
        pub state: String,
        pub attempts: i64,
        pub next_attempt_at: i64,
        pub leased_until: Option<i64>,
        pub last_error: Option<String>,
        pub created_at: i64,
        pub updated_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Site settings (`sl_site_settings`): one row, id 1.
pub mod site_settings {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sl_site_settings")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i64,
        pub version: i64,
        pub settings: String,
        pub updated_at: i64,
        pub updated_by: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
