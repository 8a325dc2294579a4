# Pages des visiteurs, français.

## Layout
language-switcher = Langue
breadcrumbs = Dossiers
breadcrumb-home = Accueil
continue = Continuer

## Page titles
title-shared-files = Fichiers partagés
title-confirm-download = Confirmer le téléchargement
title-open = Ouvrir les fichiers partagés
title-password = Mot de passe requis
title-email = Vérifiez votre adresse e-mail
title-register = Inscription
title-terms = Conditions
title-reopen = Veuillez rouvrir le lien

## Opening a share
open-heading = Fichiers partagés
open-text = Appuyez sur le bouton pour ouvrir ce partage.
open-button = Ouvrir
reopen-link = Ouvrir le partage

## Confirming a counted download
confirm-download-heading = Télécharger { $name }
confirm-download-text = Ce lien ne peut être utilisé qu’un nombre limité de fois. Appuyez sur le bouton pour télécharger.
confirm-download-button = Télécharger
confirm-all-files = tous les fichiers

## Gates
password-heading = Mot de passe requis
password-text = Ce partage est protégé par un mot de passe.
password-label = Mot de passe
email-heading = Vérifiez votre adresse e-mail
email-text = Saisissez votre adresse e-mail ; nous vous enverrons un code à usage unique.
email-label = E-mail
email-send = Envoyer le code
code-label = Code
code-verify = Vérifier
register-heading = Veuillez vous inscrire
terms-accept = J’accepte
terms-default-title = Conditions
cannot-continue = Impossible de continuer

## The share page
share-available-until = Disponible jusqu’au { $date }
column-name = Nom
column-size = Taille
column-modified = Modifié
sort-by = Trier par { $column }
folder-empty = Ce dossier est vide.
folder-items = { $count ->
    [one] 1 élément
   *[other] { $count } éléments
}
select-entry = Sélectionner { $name }
preview = Aperçu
views = Affichage
view-list = Liste
view-grid = Grille
preview-back = Retour au dossier
preview-open = Ouvrir le fichier
preview-download = Télécharger
rename = Renommer
rename-label = Nouveau nom
move = Déplacer
copy = Copier
move-label = Dossier de destination
move-placeholder = dossier
go = OK
delete = Supprimer
download-all = Tout télécharger (ZIP)
download-selected = Télécharger la sélection (ZIP)
mkdir = Créer le dossier
mkdir-label = Nom du nouveau dossier
mkdir-placeholder = Nouveau dossier

## Uploads
upload-title = Déposer des fichiers
upload-title-inbox = Envoyer des fichiers au propriétaire
upload-into = Dans
upload-files = Fichiers
upload = Envoyer
upload-drop-hint = Ou déposez des fichiers et des dossiers ici.
upload-folder = Ou un dossier entier
upload-folder-button = Envoyer le dossier
upload-none-chosen = Aucun fichier n’a été envoyé : aucun n’a été choisi.
upload-sent-to-owner = { $count ->
    [one] 1 fichier envoyé au propriétaire.
   *[other] { $count } fichiers envoyés au propriétaire.
}
upload-done-unlisted = { $count ->
    [one] 1 fichier envoyé. Le propriétaire l’a reçu ; ce lien ne montre pas le contenu du dossier.
   *[other] { $count } fichiers envoyés. Le propriétaire les a reçus ; ce lien ne montre pas le contenu du dossier.
}
upload-done = { $count ->
    [one] 1 fichier envoyé.
   *[other] { $count } fichiers envoyés.
}
upload-nothing-stored = Rien n’a été envoyé.
upload-stored-before = { $count ->
    [one] Envoyé avant lui : 1 fichier.
   *[other] Envoyés avant lui : { $count } fichiers.
}
upload-back = Retour au formulaire d’envoi

## Upload messages of upload.js
js-uploaded = { $n } sur { $total } envoyés.
js-upload-failed = L’envoi a échoué ({ $status }).
js-upload-interrupted = L’envoi a été interrompu ; veuillez réessayer.
js-folder-unreadable = Le dossier déposé n’a pas pu être lu.

## The embeddable widget
embed-open = Ouvrir les fichiers partagés

## Refusals (page headings)
failure-not-found = Partage introuvable
failure-expired = Ce lien a expiré
failure-uses-exhausted = Limite d’utilisation atteinte
failure-invitation-used = Invitation déjà utilisée
failure-not-allowed = Action non autorisée
failure-file-type = Type de fichier refusé
failure-no-preview = Pas d’aperçu
failure-too-many-attempts = Trop de tentatives
failure-no-session = Veuillez rouvrir le lien
failure-csrf = Formulaire expiré
failure-outside = Introuvable
failure-ip = Indisponible depuis votre réseau
failure-unavailable = Temporairement indisponible
failure-upload-rule = Envoi refusé
failure-upload-failed = Échec de l’envoi
failure-other = Impossible de continuer

## Refusals (page text; English is core's own wording)
denial-not-found = ce lien de partage n’existe pas
denial-expired = ce lien de partage a expiré
denial-uses-exhausted = ce lien de partage a atteint sa limite d’utilisation
denial-ip-not-allowed = ce partage ne peut pas être ouvert depuis votre réseau
denial-email-not-allowed = cette adresse e-mail ne peut pas ouvrir ce partage
denial-device-mismatch = ce lien de partage est lié à un autre appareil
denial-outside-share = introuvable dans ce partage
denial-preview-unavailable = ce fichier n’a pas d’aperçu
denial-no-session = veuillez rouvrir le lien de partage
denial-too-many-attempts = trop de tentatives ; veuillez réessayer plus tard
denial-csrf = le formulaire a expiré ; rechargez la page et réessayez
denial-no-space = il n’y a plus de place pour les fichiers ; réessayez plus tard

## Sizes and dates
unit-b = o
unit-kb = ko
unit-mb = Mo
unit-gb = Go
unit-tb = To
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
