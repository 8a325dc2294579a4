# The emails' words in English (the default, and the fallback of a missing message).
# Arguments are plain text; templates escape them.

## Dates: `3 December 2026, 17:00 (Europe/Paris)`.
month-1 = January
month-2 = February
month-3 = March
month-4 = April
month-5 = May
month-6 = June
month-7 = July
month-8 = August
month-9 = September
month-10 = October
month-11 = November
month-12 = December
date = { $day } { $month } { $year }, { $time } ({ $zone })

## Every mail.
sent-by = Sent by { $site }.
open-share = Open the share
anonymous-visitor = An anonymous visitor
from-address = From address: { $ip }

## A share sent by email.
invitation-subject = { $sender } shared “{ $share }” with you
invitation-intro = { $sender } shared “{ $share }” with you on { $site }.
invitation-message-from = Message from { $sender }:
invitation-open-here = Open it here:
invitation-until = The link works until { $date }.
invitation-personal = This link is for you: please do not forward it.

## A one-time code.
code-subject = Your code for “{ $share }”
code-intro = Your code to open “{ $share }” on { $site }:
code-validity = { $minutes ->
    [one] It is valid for one minute.
   *[other] It is valid for { $minutes } minutes.
} If you did not ask for it, you can ignore this email.

## A download, told to the owner.
download-subject = “{ $share }” was downloaded
download-intro = { $who } downloaded from your share “{ $share }” on { $date }.
downloaded = Downloaded:
all-files = all files

## A fresh link after the link was opened in another browser.
resent-subject = Your new link to “{ $share }”
resent-intro = Your link to “{ $share }” on { $site } was opened in another browser, so it no longer works there. Here is a fresh link, for you only:
resent-note = If you did not open the link elsewhere, tell the person who shared it with you.

## A share that expires soon.
expiry-subject = “{ $share }” expires on { $date }
expiry-intro = Your share “{ $share }” on { $site } expires on { $date }.
expiry-note = After that, visitors can no longer open it. You can extend it from your list of shares.

## Someone guessing a password or codes.
attack-subject = Someone is guessing at “{ $share }”
attack-target-password = the password
attack-target-codes = one-time codes
attack-target-code-addresses = addresses for one-time codes
attack-intro = Someone is guessing { $target } of your share “{ $share }” on { $site }: { $attempts ->
    [one] one attempt
   *[other] { $attempts } attempts
} within { $minutes ->
    [one] one minute
   *[other] { $minutes } minutes
}, by { $date }.
attack-note = New attempts are slowed down for now; visitors who opened the share before are not affected. If the password may have leaked, change it or revoke the share.

## One event, or a summary of events, told to the owner.
notice-subject-download = “{ $share }”: a download
notice-subject-upload = “{ $share }”: a new upload
notice-subject-registration = “{ $share }”: a new registration
notice-subject-first-visit = “{ $share }”: a first visit
notice-subject-expiry = “{ $share }”: its expiry
event-downloaded = { $who } downloaded from “{ $share }” on { $date }.
event-uploaded = { $who } uploaded a file to “{ $share }” on { $date }.
event-registered = A visitor filled in the registration form of “{ $share }” on { $date }.
event-first-visit = { $recipient } opened their link to “{ $share }” for the first time on { $date }.
event-expiry-soon = Your share “{ $share }” expires on { $date }.
detail-downloaded = Downloaded: { $what }
detail-file = File: { $path } ({ $bytes ->
    [one] one byte
   *[other] { $bytes } bytes
})
detail-name = Name: { $name }
detail-email = Email: { $email }
digest-intro = What happened on your shares on { $site } since the last summary ({ $count ->
    [one] one event
   *[other] { $count } events
}):
digest-subject-one = Activity on “{ $share }”
digest-subject-many = Activity on { $count } of your shares
