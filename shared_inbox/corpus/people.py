"""Who writes to support: customers with their language, mail client and time zone.

Every domain is under the reserved .example top-level domain, so a generated
mailbox can never make the product send mail to a real person.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass

BRAND = "Acme Support"

# Given names, then family names, per language; space-separated to keep the lists compact.
_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    language: (tuple(firsts.split()), tuple(lasts.split()))
    for language, firsts, lasts in (
        (
            "en",
            "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard "
            "Susan Joseph Jessica Thomas Sarah Chris Karen Daniel Nancy Matthew Lisa Anthony Betty Mark "
            "Sandra Priya Wei Aisha Carlos Fatima Olumide Siobhan Mateo Ingrid Raj",
            "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
            "Wilson Anderson Taylor Thomas Moore Jackson Martin Lee Thompson White Harris Clark Lewis "
            "Walker Hall O'Brien Nguyen Patel Okafor Kowalski Chen MacLeod",
        ),
        (
            "de",
            "Lukas Anna Jonas Lea Felix Sophie Jürgen Käthe Stefan Jörg Sabine Uwe Birgit Matthias Franziska",
            "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schröder Weiß Hoffmann Schäfer Koch "
            "Bäcker Groß",
        ),
        (
            "fr",
            "Léa Hugo Chloé Louis Manon Gabriel Inès Jérôme Céline François Amélie Benoît Hélène Théo",
            "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Lefèvre Fournier Girard "
            "Bonnet",
        ),
        ("ja", "太郎 花子 健太 美咲 翔 陽菜 大輔 結衣", "山田 佐藤 鈴木 高橋 田中 伊藤 渡辺 中村"),
    )
}
_JA_ROMAJI = {
    "太郎": "taro",
    "花子": "hanako",
    "健太": "kenta",
    "美咲": "misaki",
    "翔": "sho",
    "陽菜": "hina",
    "大輔": "daisuke",
    "結衣": "yui",
    "山田": "yamada",
    "佐藤": "sato",
    "鈴木": "suzuki",
    "高橋": "takahashi",
    "田中": "tanaka",
    "伊藤": "ito",
    "渡辺": "watanabe",
    "中村": "nakamura",
}
_DOMAINS = {
    "en": (
        "freemail.example",
        "postbox.example",
        "inbox.example",
        "northwind.example",
        "globex.example",
        "initech.example",
        "umbrella.example",
        "hooli.example",
        "stark-industries.example",
    ),
    "de": ("webmail-de.example", "post-de.example", "mueller-gmbh.example", "bergbau-ag.example"),
    "fr": ("courriel-fr.example", "boulangerie-paris.example", "atelier-lyon.example"),
    "ja": ("mail-jp.example", "yamato-shoji.example"),
}
# Offsets in minutes east of UTC, by language.
_OFFSETS = {"en": (-480, -300, -240, 0, 60, 330, 600), "de": (60, 120), "fr": (60, 120), "ja": (540,)}
# Mail client styles and how often each occurs; see generator for what each implies.
CLIENTS = ("gmail", "apple", "outlook", "mobile", "html_only", "legacy")
_CLIENT_WEIGHTS = (34, 18, 26, 10, 6, 6)
_LANGUAGES = ("en", "de", "fr", "ja")
_LANGUAGE_WEIGHTS = (80, 8, 7, 5)
_AGENTS = (
    ("Dana", "Whitfield"),
    ("Marco", "Rossi"),
    ("Aiko", "Tanaka"),
    ("Sam", "Okoye"),
    ("Petra", "Lindqvist"),
)


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    email: str
    language: str = "en"
    client: str = "gmail"
    utc_offset_minutes: int = 0
    charset: str = "utf-8"  # what their mail client encodes non-ASCII text with


def ascii_slug(text: str) -> str:
    """A local-part-safe ASCII spelling: Müller -> mueller, Léa -> lea, O'Brien -> obrien."""
    text = text.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    text = text.replace("Ä", "Ae").replace("Ö", "Oe").replace("Ü", "Ue")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if ch.isascii() and ch.isalnum()).lower()


def make_customer(rng: random.Random) -> Person:
    language = rng.choices(_LANGUAGES, _LANGUAGE_WEIGHTS)[0]
    firsts, lasts = _NAMES[language]
    first, last = rng.choice(firsts), rng.choice(lasts)
    if language == "ja":
        name = f"{last} {first}"
        local = f"{_JA_ROMAJI[first]}.{_JA_ROMAJI[last]}"
    else:
        name = f"{first} {last}"
        first_slug, last_slug = ascii_slug(first), ascii_slug(last)
        local = rng.choice((f"{first_slug}.{last_slug}", f"{first_slug[0]}{last_slug}"))
    if rng.random() < 0.3:
        local += str(rng.randint(1, 99))
    client = rng.choices(CLIENTS, _CLIENT_WEIGHTS)[0]
    if language == "de" and rng.random() < 0.5:
        client = "outlook"
    charset = "utf-8"
    if language in ("de", "fr") and rng.random() < 0.4:
        charset = "iso-8859-1"
    elif language == "ja" and rng.random() < 0.5:
        charset = "iso-2022-jp"
    if rng.random() < 0.04:
        name = ""  # some people never set a display name
    return Person(
        name=name,
        email=f"{local}@{rng.choice(_DOMAINS[language])}",
        language=language,
        client=client,
        utc_offset_minutes=rng.choice(_OFFSETS[language]),
        charset=charset,
    )


def agents(support_address: str) -> list[Person]:
    """The support team; they all send from the shared address under their own name."""
    return [
        Person(name=f"{first} {last} via {BRAND}", email=support_address, client="agent")
        for first, last in _AGENTS
    ]


def agent_first_name(agent: Person) -> str:
    return agent.name.split(" ")[0]


def display_first_name(person: Person) -> str:
    """What an agent writes after "Hi": the given name, or "there" when unknown."""
    if not person.name:
        return "there"
    if person.language == "ja":
        return person.name.split(" ")[0] + "様"
    return person.name.split(" ")[0]
