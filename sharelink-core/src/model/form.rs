//! Registration forms (the default one and custom ones) and the validation of answers.

use crate::{Email, FormError};
use serde::{Deserialize, Serialize};

/// Most fields a custom form may have.
pub const MAX_FIELDS: usize = 30;
/// Longest label or option.
pub const MAX_LABEL: usize = 200;
/// Longest short answer.
pub const MAX_SHORT_ANSWER: usize = 500;
/// Longest paragraph answer.
pub const MAX_PARAGRAPH: usize = 5000;

/// The form a visitor fills in before seeing a share.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RegistrationForm {
    /// Name and a valid email (required), company (optional).
    Default,
    /// The creator's own fields.
    Custom {
        /// The fields, in order.
        fields: Vec<FormField>,
    },
}

/// One field of a custom form.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormField {
    /// The question (unique in the form).
    pub label: String,
    /// Help text under the question.
    pub description: Option<String>,
    /// Whether an answer is required.
    pub required: bool,
    /// The kind of answer.
    pub kind: FieldKind,
}

/// The kind of answer a field takes.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FieldKind {
    /// One line of text.
    ShortAnswer,
    /// Several lines of text.
    Paragraph,
    /// One of several options, shown as radio buttons.
    MultipleChoice {
        /// The options.
        options: Vec<String>,
    },
    /// One of several options, shown as a drop-down list.
    Dropdown {
        /// The options.
        options: Vec<String>,
    },
}

/// A visitor's answer to one field.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    /// The field's label.
    pub label: String,
    /// The answer as text.
    pub value: String,
}

/// A validated submission: the answers, with name and email picked out when present.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    /// The visitor's name, if the form asks for it.
    pub name: Option<String>,
    /// The visitor's email, if the form asks for it.
    pub email: Option<Email>,
    /// Every non-empty answer, in form order.
    pub answers: Vec<Answer>,
    /// The digest of the form the answers were given to ([`RegistrationForm::digest`]),
    /// so the record shows which version of a form was filled in after it changes.
    /// Registrations stored before it was kept have none.
    #[serde(default)]
    pub form_digest: Option<String>,
}

/// Labels of the default form.
pub const DEFAULT_NAME: &str = "Name";
/// Label of the email field of the default form.
pub const DEFAULT_EMAIL: &str = "Email";
/// Label of the company field of the default form.
pub const DEFAULT_COMPANY: &str = "Company";

impl RegistrationForm {
    /// A custom form, checked: 1 to 30 fields, distinct non-empty labels, choice fields
    /// with distinct non-empty options.
    ///
    /// # Errors
    /// [`FormError`] naming the problem.
    pub fn custom(fields: Vec<FormField>) -> Result<Self, FormError> {
        let form = RegistrationForm::Custom { fields };
        form.check()?;
        Ok(form)
    }

    /// Checks a form definition (see [`RegistrationForm::custom`]).
    ///
    /// # Errors
    /// [`FormError`] naming the problem.
    pub fn check(&self) -> Result<(), FormError> {
        let RegistrationForm::Custom { fields } = self else {
            return Ok(());
        };
        if fields.is_empty() || fields.len() > MAX_FIELDS {
            return Err(FormError::FieldCount { max: MAX_FIELDS });
        }
        let mut labels = std::collections::HashSet::new();
        for f in fields {
            let label = f.label.trim();
            if label.is_empty()
                || label.chars().count() > MAX_LABEL
                || !labels.insert(label.to_lowercase())
            {
                return Err(FormError::BadLabel(f.label.chars().take(60).collect()));
            }
            if let FieldKind::MultipleChoice { options } | FieldKind::Dropdown { options } = &f.kind
            {
                let mut seen = std::collections::HashSet::new();
                let ok = !options.is_empty()
                    && options.iter().all(|o| {
                        !o.trim().is_empty()
                            && o.chars().count() <= MAX_LABEL
                            && seen.insert(o.trim())
                    });
                if !ok {
                    return Err(FormError::BadOptions(f.label.clone()));
                }
            }
        }
        Ok(())
    }

    /// The fields a visitor sees (the default form's three, or the custom ones).
    pub fn fields(&self) -> Vec<FormField> {
        match self {
            RegistrationForm::Default => vec![
                FormField {
                    label: DEFAULT_NAME.into(),
                    description: None,
                    required: true,
                    kind: FieldKind::ShortAnswer,
                },
                FormField {
                    label: DEFAULT_EMAIL.into(),
                    description: None,
                    required: true,
                    kind: FieldKind::ShortAnswer,
                },
                FormField {
                    label: DEFAULT_COMPANY.into(),
                    description: None,
                    required: false,
                    kind: FieldKind::ShortAnswer,
                },
            ],
            RegistrationForm::Custom { fields } => fields.clone(),
        }
    }

    /// The digest of the form's definition (its JSON): two forms share a digest only when
    /// they ask the same questions the same way.
    pub fn digest(&self) -> String {
        crate::model::token::text_digest(serde_json::to_string(self).unwrap_or_default().as_bytes())
    }

    /// Validates a visitor's answers: every required field answered, answers within
    /// length limits and free of control characters (newlines allowed in paragraphs),
    /// choices among the options, no unknown fields; in the default form, a valid email.
    ///
    /// # Errors
    /// [`FormError`] for the first field that is wrong.
    pub fn validate(&self, answers: &[Answer]) -> Result<Registration, FormError> {
        let fields = self.fields();
        for a in answers {
            if !fields.iter().any(|f| f.label == a.label) {
                return Err(FormError::UnknownField(a.label.chars().take(60).collect()));
            }
        }
        let mut out = Registration {
            name: None,
            email: None,
            answers: Vec::new(),
            form_digest: Some(self.digest()),
        };
        for field in &fields {
            let value = answers
                .iter()
                .find(|a| a.label == field.label)
                .map(|a| a.value.trim())
                .unwrap_or("");
            if value.is_empty() {
                if field.required {
                    return Err(FormError::Missing(field.label.clone()));
                }
                continue;
            }
            let (max, multiline) = match &field.kind {
                FieldKind::Paragraph => (MAX_PARAGRAPH, true),
                _ => (MAX_SHORT_ANSWER, false),
            };
            if value.chars().count() > max {
                return Err(FormError::TooLong {
                    field: field.label.clone(),
                    max,
                });
            }
            if value
                .chars()
                .any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\r' || c == '\t')))
            {
                return Err(FormError::ControlCharacters(field.label.clone()));
            }
            if let FieldKind::MultipleChoice { options } | FieldKind::Dropdown { options } =
                &field.kind
                && !options.iter().any(|o| o.trim() == value)
            {
                return Err(FormError::NotAnOption(value.chars().take(60).collect()));
            }
            let lower = field.label.to_lowercase();
            if lower == "email" || lower == "e-mail" {
                out.email = Some(Email::parse(value).map_err(|_| FormError::BadEmail)?);
            } else if lower == "name" {
                out.name = Some(value.to_owned());
            }
            out.answers.push(Answer {
                label: field.label.clone(),
                value: value.to_owned(),
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn a(label: &str, value: &str) -> Answer {
        Answer {
            label: label.into(),
            value: value.into(),
        }
    }

    #[test]
    fn default_form_table() {
        let f = RegistrationForm::Default;
        let ok = f
            .validate(&[a("Name", "Ana"), a("Email", "ana@example.com")])
            .unwrap();
        assert_eq!(ok.name.as_deref(), Some("Ana"));
        assert_eq!(ok.email.unwrap().as_str(), "ana@example.com");
        assert_eq!(
            f.validate(&[a("Email", "ana@example.com")]),
            Err(FormError::Missing("Name".into()))
        );
        assert_eq!(
            f.validate(&[a("Name", "Ana"), a("Email", "nope")]),
            Err(FormError::BadEmail)
        );
        assert_eq!(
            f.validate(&[a("Name", "A\u{0}"), a("Email", "a@b.co")]),
            Err(FormError::ControlCharacters("Name".into()))
        );
        assert!(matches!(
            f.validate(&[a("Name", "A"), a("Email", "a@b.co"), a("Role", "x")]),
            Err(FormError::UnknownField(_))
        ));
    }

    #[test]
    fn custom_form_table() {
        let form = RegistrationForm::custom(vec![
            FormField {
                label: "Why".into(),
                description: Some("Tell us".into()),
                required: true,
                kind: FieldKind::Paragraph,
            },
            FormField {
                label: "Team".into(),
                description: None,
                required: false,
                kind: FieldKind::Dropdown {
                    options: vec!["Red".into(), "Blue".into()],
                },
            },
            FormField {
                label: "Size".into(),
                description: None,
                required: true,
                kind: FieldKind::MultipleChoice {
                    options: vec!["S".into(), "M".into()],
                },
            },
        ])
        .unwrap();
        assert!(
            form.validate(&[a("Why", "line one\nline two"), a("Size", "M")])
                .is_ok()
        );
        assert_eq!(
            form.validate(&[a("Why", "x"), a("Size", "XL")]),
            Err(FormError::NotAnOption("XL".into()))
        );
        assert_eq!(
            form.validate(&[a("Size", "S")]),
            Err(FormError::Missing("Why".into()))
        );
        assert!(matches!(
            form.validate(&[a("Why", &"x".repeat(5001)), a("Size", "S")]),
            Err(FormError::TooLong { .. })
        ));
        assert!(RegistrationForm::custom(vec![]).is_err());
        let dup = FormField {
            label: "A".into(),
            description: None,
            required: false,
            kind: FieldKind::ShortAnswer,
        };
        assert!(RegistrationForm::custom(vec![dup.clone(), dup]).is_err());
        let bad = FormField {
            label: "C".into(),
            description: None,
            required: false,
            kind: FieldKind::Dropdown { options: vec![] },
        };
        assert!(RegistrationForm::custom(vec![bad]).is_err());
    }

    proptest! {
        #[test]
        fn accepted_answers_respect_required_and_options(name in "\\PC{0,20}", email in "\\PC{0,20}") {
            if let Ok(r) = RegistrationForm::Default.validate(&[a("Name", &name), a("Email", &email)]) {
                prop_assert!(r.name.is_some_and(|n| !n.is_empty()));
                prop_assert!(r.email.is_some());
            }
        }
    }
}
