# Die Wörter der E-Mails auf Deutsch.

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

sent-by = Gesendet von { $site }.
open-share = Freigabe öffnen
anonymous-visitor = Ein anonymer Besucher
from-address = Von der Adresse: { $ip }

invitation-subject = { $sender } hat „{ $share }“ mit Ihnen geteilt
invitation-intro = { $sender } hat „{ $share }“ auf { $site } mit Ihnen geteilt.
invitation-message-from = Nachricht von { $sender }:
invitation-open-here = Hier öffnen:
invitation-until = Der Link funktioniert bis { $date }.
invitation-personal = Dieser Link ist nur für Sie: Bitte leiten Sie ihn nicht weiter.

code-subject = Ihr Code für „{ $share }“
code-intro = Ihr Code zum Öffnen von „{ $share }“ auf { $site }:
code-validity = { $minutes ->
    [one] Er ist eine Minute gültig.
   *[other] Er ist { $minutes } Minuten gültig.
} Wenn Sie ihn nicht angefordert haben, können Sie diese E-Mail ignorieren.

download-subject = „{ $share }“ wurde heruntergeladen
download-intro = { $who } hat am { $date } aus Ihrer Freigabe „{ $share }“ heruntergeladen.
downloaded = Heruntergeladen:
all-files = alle Dateien

resent-subject = Ihr neuer Link zu „{ $share }“
resent-intro = Ihr Link zu „{ $share }“ auf { $site } wurde in einem anderen Browser geöffnet und funktioniert dort nicht mehr. Hier ist ein neuer Link, nur für Sie:
resent-note = Wenn Sie den Link nicht anderswo geöffnet haben, sagen Sie es der Person, die ihn mit Ihnen geteilt hat.

expiry-subject = „{ $share }“ läuft am { $date } ab
expiry-intro = Ihre Freigabe „{ $share }“ auf { $site } läuft am { $date } ab.
expiry-note = Danach können Besucher sie nicht mehr öffnen. Sie können sie in Ihrer Liste der Freigaben verlängern.

attack-subject = Jemand versucht, „{ $share }“ zu erraten
attack-target-password = das Passwort
attack-target-codes = Einmalcodes
attack-target-code-addresses = Adressen für Einmalcodes
attack-intro = Jemand versucht, { $target } Ihrer Freigabe „{ $share }“ auf { $site } zu erraten: { $attempts ->
    [one] ein Versuch
   *[other] { $attempts } Versuche
} innerhalb { $minutes ->
    [one] einer Minute
   *[other] von { $minutes } Minuten
}, bis { $date }.
attack-note = Neue Versuche werden vorerst verlangsamt; Besucher, die die Freigabe schon geöffnet haben, sind nicht betroffen. Wenn das Passwort bekannt geworden sein könnte, ändern Sie es oder widerrufen Sie die Freigabe.

notice-subject-download = „{ $share }“: ein Download
notice-subject-upload = „{ $share }“: ein neuer Upload
notice-subject-registration = „{ $share }“: eine neue Registrierung
notice-subject-first-visit = „{ $share }“: ein erster Besuch
notice-subject-expiry = „{ $share }“: der Ablauf
event-downloaded = { $who } hat am { $date } aus „{ $share }“ heruntergeladen.
event-uploaded = { $who } hat am { $date } eine Datei in „{ $share }“ hochgeladen.
event-registered = Ein Besucher hat am { $date } das Registrierungsformular von „{ $share }“ ausgefüllt.
event-first-visit = { $recipient } hat am { $date } den Link zu „{ $share }“ zum ersten Mal geöffnet.
event-expiry-soon = Ihre Freigabe „{ $share }“ läuft am { $date } ab.
detail-downloaded = Heruntergeladen: { $what }
detail-file = Datei: { $path } ({ $bytes ->
    [one] ein Byte
   *[other] { $bytes } Bytes
})
detail-name = Name: { $name }
detail-email = E-Mail: { $email }
digest-intro = Was seit der letzten Zusammenfassung auf Ihren Freigaben auf { $site } geschah ({ $count ->
    [one] ein Ereignis
   *[other] { $count } Ereignisse
}):
digest-subject-one = Aktivität auf „{ $share }“
digest-subject-many = Aktivität auf { $count } Ihrer Freigaben
