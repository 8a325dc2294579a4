//! Owner notifications: telling a share's owner (and the site's administrator copy) of
//! the events the share asked for, at once or gathered into the hourly digest.

use super::{Result, Sharelink};
use crate::model::notify::{recipients_of, wants_notice};
use crate::ports::digest::{DigestEntry, DigestEntryId, NewDigestEntry};
use crate::ports::mailer::{Mail, MailMessage};
use crate::{Activity, Email, Notice, Share};

/// Entries read from the digest store per page.
const DIGEST_PAGE: u32 = 500;

/// The mail that tells of one event at once: downloads and expiry keep the messages
/// they had before the other events could be notified.
fn immediate_message(notice: Notice) -> MailMessage {
    let share_name = notice.share_name.clone();
    match notice.activity {
        Activity::Downloaded { visitor, paths, ip } => MailMessage::DownloadNotification {
            share_name,
            visitor,
            paths,
            at: notice.at,
            ip,
        },
        Activity::ExpirySoon { expires_at } => MailMessage::ExpiryReminder {
            share_name,
            expires_at,
        },
        _ => MailMessage::OwnerNotice { notice },
    }
}

/// The digests to send: the entries grouped by recipient (in the order of their first
/// entry), each group's entries oldest first.
pub(crate) fn group_by_recipient(entries: Vec<DigestEntry>) -> Vec<(Email, Vec<DigestEntry>)> {
    let mut groups: Vec<(Email, Vec<DigestEntry>)> = Vec::new();
    for e in entries {
        match groups.iter_mut().find(|(to, _)| *to == e.entry.to) {
            Some((_, group)) => group.push(e),
            None => groups.push((e.entry.to.clone(), vec![e])),
        }
    }
    for (_, group) in &mut groups {
        group.sort_by_key(|e| (e.entry.notice.at, e.id));
    }
    groups
}

/// The one value every entry of a group has, if they agree.
fn common<T: PartialEq + Clone>(group: &[DigestEntry], f: impl Fn(&DigestEntry) -> T) -> Option<T> {
    let first = f(group.first()?);
    group.iter().all(|e| f(e) == first).then_some(first)
}

impl Sharelink {
    /// Tells the owner of `share` (and the site's administrator copy) that `activity`
    /// happened, if the share asks for its kind: one mail per address at once, or an
    /// entry per address for the next digest when the share asks for digests and a
    /// digest store is configured. Returns to how many addresses it went.
    ///
    /// # Errors
    /// The mail (or queue) or the digest store failed; addresses before the failing one
    /// were told.
    pub(super) async fn notify_owner(&self, share: &Share, activity: Activity) -> Result<u32> {
        let settings = &share.settings;
        let kind = activity.kind();
        // Most shares ask for no notice: then nothing is read (this runs on every download).
        if !wants_notice(&settings.notifications, settings.notify_on_download, kind) {
            return Ok(0);
        }
        let site = self.site_shared().await?;
        let owner = self.owner_email(&share.owner).await;
        let to = recipients_of(
            &settings.notifications,
            settings.notify_on_download,
            kind,
            owner.as_ref(),
            &site.settings.notification_copy,
        );
        let notice = Notice {
            share_name: settings.name.clone(),
            activity,
            at: self.now(),
        };
        let mut told = 0;
        for address in to {
            match (&self.ports.digests, settings.notifications.digest) {
                (Some(digests), true) => {
                    digests
                        .add_digest_entry(&NewDigestEntry {
                            to: address,
                            share: share.id,
                            owner: share.owner.clone(),
                            time_zone: settings.schedule.time_zone.clone(),
                            notice: notice.clone(),
                        })
                        .await?;
                }
                _ => {
                    let mail = self
                        .mail_about(share, address, immediate_message(notice.clone()))
                        .await?;
                    self.post_mail(share, mail, None).await?;
                }
            }
            told += 1;
        }
        Ok(told)
    }

    /// [`Sharelink::notify_owner`] where the event happens whether or not anyone hears
    /// of it: a failure is dropped.
    pub(super) async fn notify_owner_best_effort(&self, share: &Share, activity: Activity) {
        // Best effort: the visitor's action is done; a lost notice must not undo it.
        let _ = self.notify_owner(share, activity).await;
    }

    /// The digest job: mails every recipient with waiting entries one digest of them
    /// (oldest first, across shares), then removes the entries it mailed. Without a
    /// digest store it does nothing. Run by the housekeeping, once per period (an hour
    /// by default) among all processes. Returns how many digests were sent.
    ///
    /// Entries are removed only once their digest is posted, so a failure leaves them for
    /// the next run; a process that dies between the two may mail them twice, never lose
    /// them.
    ///
    /// # Errors
    /// The digest store failed, or the first recipient whose digest could not be posted
    /// (the others are still sent).
    #[tracing::instrument(skip_all, err(Display, level = "debug"))]
    pub async fn send_digests(&self) -> Result<u32> {
        let Some(digests) = &self.ports.digests else {
            return Ok(0);
        };
        let mut entries = Vec::new();
        let mut after: Option<DigestEntryId> = None;
        loop {
            let page = digests.digest_entries(after, DIGEST_PAGE).await?;
            let full = page.len() == DIGEST_PAGE as usize;
            after = page.last().map(|e| e.id).or(after);
            entries.extend(page);
            if !full {
                break;
            }
        }
        let site = self.site().await?;
        let mut sent = 0;
        let mut failure = None;
        for (to, group) in group_by_recipient(entries) {
            let ids: Vec<DigestEntryId> = group.iter().map(|e| e.id).collect();
            let mail = Mail {
                to,
                to_name: None,
                branding: site.branding.clone(),
                from: site.notification_sender.clone(),
                time_zone: common(&group, |e| e.entry.time_zone.clone()).flatten(),
                locale: None,
                message: MailMessage::OwnerDigest {
                    notices: group.iter().map(|e| e.entry.notice.clone()).collect(),
                },
            };
            let share = common(&group, |e| e.entry.share);
            let owner = common(&group, |e| e.entry.owner.clone());
            match self.post(mail, share, owner, None).await {
                Ok(()) => {
                    digests.remove_digest_entries(&ids).await?;
                    sent += 1;
                }
                Err(e) => {
                    failure.get_or_insert(e);
                }
            }
        }
        match failure {
            Some(e) => Err(e),
            None => Ok(sent),
        }
    }
}
