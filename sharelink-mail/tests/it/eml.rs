//! Reading a raw message (RFC 5322) back into the conformance suite's `ReceivedMail`.

use mail_parser::{MessageParser, PartType};
use sharelink_core::conformance::mailer::ReceivedMail;

/// Parses `raw`; `envelope` gives the delivered-to addresses when the reader knows them,
/// else they are read from the To, Cc and Bcc headers.
pub(crate) fn parse(raw: &[u8], envelope: Option<Vec<String>>) -> ReceivedMail {
    let message = MessageParser::default()
        .parse(raw)
        .unwrap_or_else(|| panic!("unparsable message: {}", String::from_utf8_lossy(raw)));
    let headers = message
        .headers()
        .iter()
        .map(|h| {
            let value = &raw[h.offset_start as usize..h.offset_end as usize];
            let value = String::from_utf8_lossy(value)
                .replace("\r\n", "\n")
                .replace("\n ", " ")
                .replace("\n\t", " ");
            (h.name.as_str().to_owned(), value.trim().to_owned())
        })
        .collect();
    let to = envelope.unwrap_or_else(|| {
        [message.to(), message.cc(), message.bcc()]
            .into_iter()
            .flatten()
            .flat_map(|a| a.iter())
            .filter_map(|a| a.address())
            .map(str::to_owned)
            .collect()
    });
    let from = message
        .from()
        .and_then(|a| a.first())
        .map(|a| {
            format!(
                "{} <{}>",
                a.name().unwrap_or_default(),
                a.address().unwrap_or_default()
            )
        })
        .unwrap_or_default();
    // Only genuine parts: mail-parser would otherwise convert one kind into the other.
    let text = match message.text_part(0).map(|p| &p.body) {
        Some(PartType::Text(t)) => t.replace("\r\n", "\n"),
        _ => String::new(),
    };
    let html = match message.html_part(0).map(|p| &p.body) {
        Some(PartType::Html(h)) => h.replace("\r\n", "\n"),
        _ => String::new(),
    };
    ReceivedMail {
        to,
        from,
        subject: message.subject().unwrap_or_default().to_owned(),
        text,
        html,
        headers,
    }
}
