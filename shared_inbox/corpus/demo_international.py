"""German, French and Japanese customers of the demo mailbox (format: see demo_script)."""

INTERNATIONAL_SCRIPT = r"""
=== Jürgen Schröder <j.schroeder@mueller-gmbh.example> | outlook | de | 60 | iso-8859-1
Subject: Bestellung für Müller GmbH – Rechnung fehlt
--- 26 customer
Guten Tag,

für unsere Bestellung 77310 haben wir noch keine Rechnung erhalten. Unsere Buchhaltung benötigt \
sie bis Freitag.

Mit freundlichen Grüßen
Jürgen Schröder
Müller GmbH
--- 25 Petra [pdf: Rechnung_77310_Müller_GmbH.pdf | Rechnung 77310]
Guten Tag Herr Schröder,

anbei die Rechnung zu Bestellung 77310. Entschuldigen Sie die Verzögerung.

Viele Grüße
Petra
Acme Support
--- 2.5 customer
Vielen Dank, Frau Lindqvist. Die Adresse auf der Rechnung ist allerdings veraltet – wir sind \
umgezogen (Hafenstraße 12, 20457 Hamburg). Können Sie sie korrigieren?

Mit freundlichen Grüßen
Jürgen Schröder

=== Léa Moreau <lea.moreau@atelier-lyon.example> | gmail | fr | 60 | iso-8859-1
Subject: Commande n°60412 non reçue
--- 75 customer
Bonjour,

j'ai passé la commande n°60412 il y a dix jours et je n'ai toujours rien reçu. Le suivi indique \
« en cours d'acheminement » depuis une semaine.

Cordialement,
Léa Moreau
--- 70 Marco
Bonjour Léa,

le transporteur a perdu la trace du colis. Je vous envoie un nouveau colis en express \
aujourd'hui, sans frais.

Bien à vous,
Marco
Acme Support

=== 山田 花子 <hanako.yamada@yamato-shoji.example> | gmail | ja | 540 | iso-2022-jp
Subject: 注文番号39920の配送について
--- 20 customer
お世話になっております。

注文番号39920の商品がまだ届いておりません。配送状況を確認していただけますでしょうか。

よろしくお願いいたします。
山田 花子
--- 18 Aiko
山田様

お問い合わせありがとうございます。配送業者に確認したところ、明日の午前中にお届け予定です。

何卒よろしくお願いいたします。
Aiko
Acme Support

=== Anna Weber <anna.weber@webmail-de.example> | gmail | de | 60 | utf-8
Subject: Rückerstattung für Bestellung 30218
--- 80 customer
Hallo,

ich habe die Kopfhörer vor zwei Wochen zurückgeschickt, aber noch keine Rückerstattung erhalten.

Viele Grüße
Anna Weber
--- 78 Petra
Hallo Anna,

die Rückerstattung über 149,00 € wurde heute veranlasst und ist in wenigen Tagen auf Ihrem Konto.

Viele Grüße
Petra
Acme Support
--- 77.9 auto
Ich bin bis zum 14. nicht im Büro und lese meine E-Mails nur unregelmäßig.

=== Chloé Dubois <chloe.dubois@courriel-fr.example> | outlook | fr | 60 | utf-8
Subject: Problème de facturation
--- 45 customer
Bonjour,

j'ai été débitée deux fois de 29,00 € ce mois-ci. Pourriez-vous rembourser le second prélèvement ?

Cordialement,
Chloé Dubois

=== Kenta Suzuki <kenta.suzuki@mail-jp.example> | apple | ja | 540 | utf-8
Subject: ログインできません
--- 7 customer
こんにちは。

パスワード再設定のメールが届かず、ログインできません。

鈴木 健太

=== Felix Wagner <felix.wagner@post-de.example> | outlook | de | 60 | iso-8859-1
Subject: Problem mit meiner Rechnung
--- 55 customer
Hallo,

auf Rechnung INV-2026-00412 stehen 249,00 €, vereinbart waren 199,00 €. Bitte prüfen Sie das.

Viele Grüße
Felix Wagner
--- 53 Petra [pdf: INV-2026-00412-korrigiert.pdf | Invoice 412]
Hallo Felix,

Sie haben recht. Anbei die korrigierte Rechnung.

Viele Grüße
Petra
"""
