# Visitor pages, English. Every message here exists in every other language
# (a unit test checks it).

## Layout
language-switcher = Language
breadcrumbs = Folders
breadcrumb-home = Home
continue = Continue

## Page titles
title-shared-files = Shared files
title-confirm-download = Confirm download
title-open = Open shared files
title-password = Password required
title-email = Verify your email
title-register = Register
title-terms = Terms
title-reopen = Please open the link again

## Opening a share
open-heading = Shared files
open-text = Press the button to open this share.
open-button = Open
reopen-link = Open the share

## Confirming a counted download
confirm-download-heading = Download { $name }
confirm-download-text = This link can be used a limited number of times. Press the button to download.
confirm-download-button = Download
confirm-all-files = all files

## Gates
password-heading = Password required
password-text = This share is protected by a password.
password-label = Password
email-heading = Verify your email
email-text = Enter your email address; we will send you a one-time code.
email-label = Email
email-send = Send code
code-label = Code
code-verify = Verify
register-heading = Please register
terms-accept = I accept
terms-default-title = Terms
cannot-continue = Cannot continue

## The share page
share-available-until = Available until { $date }
column-name = Name
column-size = Size
column-modified = Modified
sort-by = Sort by { $column }
folder-empty = This folder is empty.
folder-items = { $count ->
    [one] 1 item
   *[other] { $count } items
}
select-entry = Select { $name }
preview = Preview
views = View
view-list = List
view-grid = Grid
preview-back = Back to the folder
preview-open = Open the file
preview-download = Download
rename = Rename
rename-label = New name
move = Move
copy = Copy
move-label = Destination folder
move-placeholder = folder
go = Go
delete = Delete
download-all = Download all (ZIP)
download-selected = Download selected (ZIP)
mkdir = Create folder
mkdir-label = New folder name
mkdir-placeholder = New folder

## Uploads
upload-title = Upload
upload-title-inbox = Send files to the owner
upload-into = Into
upload-files = Files
upload = Upload
upload-drop-hint = Or drop files and folders here.
upload-folder = Or a whole folder
upload-folder-button = Upload folder
upload-none-chosen = No file was uploaded: none was chosen.
upload-sent-to-owner = { $count ->
    [one] 1 file sent to the owner.
   *[other] { $count } files sent to the owner.
}
upload-done-unlisted = { $count ->
    [one] 1 file uploaded. The owner has received it; this link does not show the folder's contents.
   *[other] { $count } files uploaded. The owner has received them; this link does not show the folder's contents.
}
upload-done = { $count ->
    [one] 1 file uploaded.
   *[other] { $count } files uploaded.
}
upload-nothing-stored = Nothing was uploaded.
upload-stored-before = { $count ->
    [one] Uploaded before it: 1 file.
   *[other] Uploaded before it: { $count } files.
}
upload-back = Back to the upload form

## Upload messages of upload.js
js-uploaded = Uploaded { $n } of { $total }.
js-upload-failed = The upload failed ({ $status }).
js-upload-interrupted = The upload was interrupted; please try again.
js-folder-unreadable = The dropped folder could not be read.

## The embeddable widget
embed-open = Open the shared files

## Refusals (page headings)
failure-not-found = Share not found
failure-expired = This link has expired
failure-uses-exhausted = Use limit reached
failure-invitation-used = Invitation already used
failure-not-allowed = Action not allowed
failure-file-type = File type refused
failure-no-preview = No preview
failure-too-many-attempts = Too many attempts
failure-no-session = Please open the link again
failure-csrf = Form expired
failure-outside = Not found
failure-ip = Not available from your network
failure-unavailable = Temporarily unavailable
failure-upload-rule = Upload refused
failure-upload-failed = Upload failed
failure-other = Cannot continue

## Refusals (page text; English is core's own wording)
denial-not-found = this share link does not exist
denial-expired = this share link has expired
denial-uses-exhausted = this share link has reached its use limit
denial-ip-not-allowed = this share cannot be opened from your network
denial-email-not-allowed = this email address may not open this share
denial-device-mismatch = this share link is bound to another device
denial-outside-share = not found in this share
denial-preview-unavailable = this file has no preview
denial-no-session = please open the share link again
denial-too-many-attempts = too many attempts; please try again later
denial-csrf = the form expired; reload the page and try again
denial-no-space = the file store has no room left; try again later

## Sizes and dates
unit-b = B
unit-kb = KB
unit-mb = MB
unit-gb = GB
unit-tb = TB
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
