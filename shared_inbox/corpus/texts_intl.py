"""German, French and Japanese support topics, with agent answers in the same language.

These carry the non-ASCII subjects and bodies that exercise encoded words and
charsets: "Bestellung für Müller", "Commande n°", Japanese in UTF-8 or ISO-2022-JP.
"""

from __future__ import annotations

from datetime import datetime

from shared_inbox.corpus.texts_en import Topic

DE_TOPICS = (
    Topic(
        "de_order",
        ("Bestellung für {last}", "Bestellung {order} – Lieferung fehlt", "Wo bleibt meine Bestellung?"),
        (
            "ich habe am {date} die Bestellung {order} aufgegeben, aber bisher ist nichts angekommen. "
            "Die Sendungsverfolgung zeigt seit Tagen denselben Status.",
            "meine Bestellung {order} ist leider unvollständig angekommen: der {product} fehlt.",
        ),
        (
            "Gibt es schon Neuigkeiten?",
            "Vielen Dank, das Paket ist heute gekommen!",
            "Können Sie mir bitte eine Rechnung für die Ersatzlieferung schicken?",
        ),
        (
            "vielen Dank für Ihre Geduld. Ich habe beim Versanddienst nachgefragt: Ihr Paket {tracking} "
            "wird morgen zugestellt.",
            "es tut mir leid, dass etwas fehlt. Ich habe den {product} heute per Express nachgeschickt.",
        ),
    ),
    Topic(
        "de_invoice",
        ("Problem mit meiner Rechnung", "Rechnung {invoice} – falscher Betrag", "Rückerstattung"),
        (
            "auf der Rechnung {invoice} steht ein Betrag von {amount}, vereinbart war aber weniger. "
            "Bitte prüfen Sie das.",
            "ich warte seit zwei Wochen auf die Rückerstattung für die Bestellung {order}.",
        ),
        ("Die korrigierte Rechnung passt, danke schön.", "Leider ist noch kein Geld eingegangen."),
        (
            "Sie haben recht, das war unser Fehler. Anbei die korrigierte Rechnung {invoice}.",
            "die Rückerstattung über {amount} wurde am {date} veranlasst und sollte in wenigen Tagen "
            "auf Ihrem Konto sein.",
        ),
        "pdf",
    ),
)

FR_TOPICS = (
    Topic(
        "fr_order",
        ("Commande n°{order} non reçue", "Commande n°{order}", "Problème de livraison"),
        (
            "j'ai passé la commande n°{order} le {date} et je ne l'ai toujours pas reçue. Pouvez-vous "
            "vérifier où en est la livraison ?",
            "le colis de ma commande n°{order} est arrivé abîmé, le {product} ne s'allume plus.",
        ),
        (
            "Avez-vous des nouvelles ?",
            "Merci beaucoup, j'ai bien reçu le colis.",
            "Voici une photo du colis endommagé.",
        ),
        (
            "je suis désolé pour ce retard. Le transporteur indique que le colis {tracking} sera livré "
            "demain.",
            "toutes nos excuses ! Un nouveau {product} part aujourd'hui, sans frais pour vous.",
        ),
        "png",
    ),
    Topic(
        "fr_billing",
        ("Facture", "Problème de facturation", "Remboursement de la commande n°{order}"),
        (
            "j'ai été débité deux fois de {amount} ce mois-ci. Pourriez-vous rembourser le second "
            "prélèvement ?",
            "pourriez-vous m'envoyer une facture au nom de ma société pour la commande n°{order} ?",
        ),
        ("Merci, c'est parfait.", "Je n'ai toujours rien reçu sur mon compte."),
        (
            "vous avez raison, le second prélèvement était une erreur. Le remboursement de {amount} est "
            "en cours.",
            "vous trouverez la facture {invoice} en pièce jointe.",
        ),
        "pdf",
    ),
)

JA_TOPICS = (
    Topic(
        "ja_order",
        ("注文について", "注文番号{order}の配送について", "商品がまだ届きません"),
        (
            "{date}に注文した商品（注文番号{order}）がまだ届いていません。配送状況を確認していただけますか。",
            "届いた{product}が破損していました。交換をお願いできますでしょうか。",
        ),
        ("ご確認ありがとうございます。", "本日無事に届きました。ありがとうございました。"),
        (
            "お待たせして申し訳ございません。配送業者に確認したところ、明日お届け予定です。",
            "ご不便をおかけして申し訳ございません。交換品を本日発送いたしました。",
        ),
    ),
    Topic(
        "ja_login",
        ("ログインできません", "パスワードの再設定について", "返金のお願い"),
        (
            "パスワード再設定のメールが届かず、ログインできません。",
            "注文番号{order}の返金がまだ確認できません。",
        ),
        ("ありがとうございます。ログインできました。", "まだ届いていないようです。"),
        (
            "アカウントのロックを解除し、再設定用のリンクを再送いたしました。",
            "返金手続きは{date}に完了しております。反映まで数日かかる場合がございます。",
        ),
    ),
)

GREETINGS = {
    "de": (
        ("Hallo,", "Guten Tag,", "Sehr geehrte Damen und Herren,"),
        ("Viele Grüße\n{name}", "Mit freundlichen Grüßen\n{name}", "Danke und Grüße\n{first}"),
        ("Hallo {first},", "Guten Tag {name},"),
        ("Viele Grüße\n{agent}\n{brand}", "Mit freundlichen Grüßen\n{agent}"),
    ),
    "fr": (
        ("Bonjour,", "Madame, Monsieur,", "Bonjour à l'équipe,"),
        ("Cordialement,\n{name}", "Merci d'avance,\n{first}", "Bien à vous,\n{name}"),
        ("Bonjour {first},", "Bonjour {name},"),
        ("Cordialement,\n{agent}\n{brand}", "Bien à vous,\n{agent}"),
    ),
    "ja": (
        ("お世話になっております。", "こんにちは。"),
        ("よろしくお願いいたします。\n{name}", "{name}"),
        ("{first}", "{name}様"),
        ("何卒よろしくお願いいたします。\n{agent}\n{brand}",),
    ),
}

# What Outlook writes above a quoted message, by language.
OUTLOOK_HEADERS = {
    "en": ("-----Original Message-----", "From", "Sent", "To", "Subject"),
    "de": ("-----Ursprüngliche Nachricht-----", "Von", "Gesendet", "An", "Betreff"),
    "fr": ("-----Message d'origine-----", "De ", "Envoyé ", "À ", "Objet "),
    "ja": ("-----Original Message-----", "From", "Sent", "To", "Subject"),
}
REPLY_PREFIX = {"en": "RE: ", "de": "AW: ", "fr": "RE : ", "ja": "RE: "}

_WEEKDAYS = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "de": ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
}
_MONTHS = {
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    "de": [
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ],
    "fr": [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
}


def outlook_date(when: datetime, language: str) -> str:
    """The "Sent:" line of an Outlook quote, as that language's Outlook writes it."""
    weekday = when.weekday()
    if language == "de":
        month = _MONTHS["de"][when.month - 1]
        return (
            f"{_WEEKDAYS['de'][weekday]}, {when.day}. {month} {when.year} {when.hour:02d}:{when.minute:02d}"
        )
    if language == "fr":
        month = _MONTHS["fr"][when.month - 1]
        return f"{_WEEKDAYS['fr'][weekday]} {when.day} {month} {when.year} {when.hour:02d}:{when.minute:02d}"
    if language == "ja":
        return f"{when.year}年{when.month}月{when.day}日 {when.hour}:{when.minute:02d}"
    hour = (when.hour % 12) or 12
    noon = "AM" if when.hour < 12 else "PM"
    return (
        f"{_WEEKDAYS['en'][weekday]}, {_MONTHS['en'][when.month - 1]} {when.day}, {when.year} "
        f"{hour}:{when.minute:02d} {noon}"
    )


def short_date(when: datetime, language: str) -> str:
    """A date as customers and agents write it in running text."""
    if language == "de":
        return f"{when.day:02d}.{when.month:02d}.{when.year}"
    if language == "fr":
        return f"{when.day:02d}/{when.month:02d}/{when.year}"
    if language == "ja":
        return f"{when.month}月{when.day}日"
    return f"{_MONTHS['en'][when.month - 1]} {when.day}"
