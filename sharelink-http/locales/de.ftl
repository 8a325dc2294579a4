# Besucherseiten, Deutsch.

## Layout
language-switcher = Sprache
breadcrumbs = Ordner
breadcrumb-home = Start
continue = Weiter

## Page titles
title-shared-files = Geteilte Dateien
title-confirm-download = Download bestätigen
title-open = Geteilte Dateien öffnen
title-password = Passwort erforderlich
title-email = E-Mail-Adresse bestätigen
title-register = Registrierung
title-terms = Bedingungen
title-reopen = Bitte öffnen Sie den Link erneut

## Opening a share
open-heading = Geteilte Dateien
open-text = Klicken Sie auf die Schaltfläche, um diese Freigabe zu öffnen.
open-button = Öffnen
reopen-link = Freigabe öffnen

## Confirming a counted download
confirm-download-heading = { $name } herunterladen
confirm-download-text = Dieser Link kann nur begrenzt oft verwendet werden. Klicken Sie auf die Schaltfläche, um herunterzuladen.
confirm-download-button = Herunterladen
confirm-all-files = alle Dateien

## Gates
password-heading = Passwort erforderlich
password-text = Diese Freigabe ist durch ein Passwort geschützt.
password-label = Passwort
email-heading = E-Mail-Adresse bestätigen
email-text = Geben Sie Ihre E-Mail-Adresse ein; wir senden Ihnen einen Einmalcode.
email-label = E-Mail
email-send = Code senden
code-label = Code
code-verify = Bestätigen
register-heading = Bitte registrieren Sie sich
terms-accept = Ich stimme zu
terms-default-title = Bedingungen
cannot-continue = Fortfahren nicht möglich

## The share page
share-available-until = Verfügbar bis { $date }
column-name = Name
column-size = Größe
column-modified = Geändert
sort-by = Nach { $column } sortieren
folder-empty = Dieser Ordner ist leer.
folder-items = { $count ->
    [one] 1 Element
   *[other] { $count } Elemente
}
select-entry = { $name } auswählen
preview = Vorschau
views = Ansicht
view-list = Liste
view-grid = Raster
preview-back = Zurück zum Ordner
preview-open = Datei öffnen
preview-download = Herunterladen
rename = Umbenennen
rename-label = Neuer Name
move = Verschieben
copy = Kopieren
move-label = Zielordner
move-placeholder = Ordner
go = Los
delete = Löschen
download-all = Alles herunterladen (ZIP)
download-selected = Auswahl herunterladen (ZIP)
mkdir = Ordner erstellen
mkdir-label = Name des neuen Ordners
mkdir-placeholder = Neuer Ordner

## Uploads
upload-title = Hochladen
upload-title-inbox = Dateien an den Eigentümer senden
upload-into = In
upload-files = Dateien
upload = Hochladen
upload-drop-hint = Oder ziehen Sie Dateien und Ordner hierher.
upload-folder = Oder einen ganzen Ordner
upload-folder-button = Ordner hochladen
upload-none-chosen = Es wurde nichts hochgeladen: keine Datei ausgewählt.
upload-sent-to-owner = { $count ->
    [one] 1 Datei an den Eigentümer gesendet.
   *[other] { $count } Dateien an den Eigentümer gesendet.
}
upload-done-unlisted = { $count ->
    [one] 1 Datei hochgeladen. Der Eigentümer hat sie erhalten; dieser Link zeigt den Inhalt des Ordners nicht.
   *[other] { $count } Dateien hochgeladen. Der Eigentümer hat sie erhalten; dieser Link zeigt den Inhalt des Ordners nicht.
}
upload-done = { $count ->
    [one] 1 Datei hochgeladen.
   *[other] { $count } Dateien hochgeladen.
}
upload-nothing-stored = Es wurde nichts hochgeladen.
upload-stored-before = { $count ->
    [one] Davor hochgeladen: 1 Datei.
   *[other] Davor hochgeladen: { $count } Dateien.
}
upload-back = Zurück zum Upload-Formular

## Upload messages of upload.js
js-uploaded = { $n } von { $total } hochgeladen.
js-upload-failed = Der Upload ist fehlgeschlagen ({ $status }).
js-upload-interrupted = Der Upload wurde unterbrochen; bitte versuchen Sie es erneut.
js-folder-unreadable = Der abgelegte Ordner konnte nicht gelesen werden.

## The embeddable widget
embed-open = Geteilte Dateien öffnen

## Refusals (page headings)
failure-not-found = Freigabe nicht gefunden
failure-expired = Dieser Link ist abgelaufen
failure-uses-exhausted = Nutzungslimit erreicht
failure-invitation-used = Einladung bereits verwendet
failure-not-allowed = Aktion nicht erlaubt
failure-file-type = Dateityp abgelehnt
failure-no-preview = Keine Vorschau
failure-too-many-attempts = Zu viele Versuche
failure-no-session = Bitte öffnen Sie den Link erneut
failure-csrf = Formular abgelaufen
failure-outside = Nicht gefunden
failure-ip = In Ihrem Netzwerk nicht verfügbar
failure-unavailable = Vorübergehend nicht verfügbar
failure-upload-rule = Upload abgelehnt
failure-upload-failed = Upload fehlgeschlagen
failure-other = Fortfahren nicht möglich

## Refusals (page text; English is core's own wording)
denial-not-found = dieser Freigabelink existiert nicht
denial-expired = dieser Freigabelink ist abgelaufen
denial-uses-exhausted = dieser Freigabelink hat sein Nutzungslimit erreicht
denial-ip-not-allowed = diese Freigabe kann aus Ihrem Netzwerk nicht geöffnet werden
denial-email-not-allowed = diese E-Mail-Adresse darf diese Freigabe nicht öffnen
denial-device-mismatch = dieser Freigabelink ist an ein anderes Gerät gebunden
denial-outside-share = in dieser Freigabe nicht gefunden
denial-preview-unavailable = für diese Datei gibt es keine Vorschau
denial-no-session = bitte öffnen Sie den Freigabelink erneut
denial-too-many-attempts = zu viele Versuche; bitte versuchen Sie es später erneut
denial-csrf = das Formular ist abgelaufen; laden Sie die Seite neu und versuchen Sie es erneut
denial-no-space = für Dateien ist kein Platz mehr frei; bitte versuchen Sie es später erneut

## Sizes and dates
unit-b = B
unit-kb = KB
unit-mb = MB
unit-gb = GB
unit-tb = TB
month-1 = Januar
month-2 = Februar
month-3 = März
month-4 = April
month-5 = Mai
month-6 = Juni
month-7 = Juli
month-8 = August
month-9 = September
month-10 = Oktober
month-11 = November
month-12 = Dezember
date = { $day }. { $month } { $year }, { $time } ({ $zone })
