# Les mots des e-mails en français.

month-1 = janvier
month-2 = février
month-3 = mars
month-4 = avril
month-5 = mai
month-6 = juin
month-7 = juillet
month-8 = août
month-9 = septembre
month-10 = octobre
month-11 = novembre
month-12 = décembre
date = { $day } { $month } { $year }, { $time } ({ $zone })

sent-by = Envoyé par { $site }.
open-share = Ouvrir le partage
anonymous-visitor = Un visiteur anonyme
from-address = Depuis l’adresse : { $ip }

invitation-subject = { $sender } a partagé « { $share } » avec vous
invitation-intro = { $sender } a partagé « { $share } » avec vous sur { $site }.
invitation-message-from = Message de { $sender } :
invitation-open-here = Ouvrez-le ici :
invitation-until = Le lien fonctionne jusqu’au { $date }.
invitation-personal = Ce lien vous est personnel : merci de ne pas le transférer.

code-subject = Votre code pour « { $share } »
code-intro = Votre code pour ouvrir « { $share } » sur { $site } :
code-validity = { $minutes ->
    [one] Il est valable une minute.
   *[other] Il est valable { $minutes } minutes.
} Si vous ne l’avez pas demandé, vous pouvez ignorer cet e-mail.

download-subject = « { $share } » a été téléchargé
download-intro = { $who } a téléchargé depuis votre partage « { $share } » le { $date }.
downloaded = Téléchargé :
all-files = tous les fichiers

resent-subject = Votre nouveau lien vers « { $share } »
resent-intro = Votre lien vers « { $share } » sur { $site } a été ouvert dans un autre navigateur, il n’y fonctionne donc plus. Voici un nouveau lien, pour vous seul :
resent-note = Si vous n’avez pas ouvert le lien ailleurs, prévenez la personne qui l’a partagé avec vous.

expiry-subject = « { $share } » expire le { $date }
expiry-intro = Votre partage « { $share } » sur { $site } expire le { $date }.
expiry-note = Ensuite, les visiteurs ne pourront plus l’ouvrir. Vous pouvez le prolonger depuis la liste de vos partages.

attack-subject = Quelqu’un essaie de deviner l’accès à « { $share } »
attack-target-password = le mot de passe
attack-target-codes = des codes à usage unique
attack-target-code-addresses = des adresses pour les codes à usage unique
attack-intro = Quelqu’un essaie de deviner { $target } de votre partage « { $share } » sur { $site } : { $attempts ->
    [one] une tentative
   *[other] { $attempts } tentatives
} en { $minutes ->
    [one] une minute
   *[other] { $minutes } minutes
}, le { $date }.
attack-note = Les nouvelles tentatives sont ralenties pour l’instant ; les visiteurs qui ont déjà ouvert le partage ne sont pas touchés. Si le mot de passe a pu fuiter, changez-le ou révoquez le partage.

notice-subject-download = « { $share } » : un téléchargement
notice-subject-upload = « { $share } » : un nouveau dépôt
notice-subject-registration = « { $share } » : une nouvelle inscription
notice-subject-first-visit = « { $share } » : une première visite
notice-subject-expiry = « { $share } » : son expiration
event-downloaded = { $who } a téléchargé depuis « { $share } » le { $date }.
event-uploaded = { $who } a déposé un fichier dans « { $share } » le { $date }.
event-registered = Un visiteur a rempli le formulaire d’inscription de « { $share } » le { $date }.
event-first-visit = { $recipient } a ouvert son lien vers « { $share } » pour la première fois le { $date }.
event-expiry-soon = Votre partage « { $share } » expire le { $date }.
detail-downloaded = Téléchargé : { $what }
detail-file = Fichier : { $path } ({ $bytes ->
    [one] un octet
   *[other] { $bytes } octets
})
detail-name = Nom : { $name }
detail-email = E-mail : { $email }
digest-intro = Ce qui s’est passé sur vos partages sur { $site } depuis le dernier résumé ({ $count ->
    [one] un événement
   *[other] { $count } événements
}) :
digest-subject-one = Activité sur « { $share } »
digest-subject-many = Activité sur { $count } de vos partages
