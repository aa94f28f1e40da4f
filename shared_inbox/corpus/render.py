"""Turning a MailSpec into raw RFC 5322 bytes: headers, HTML alternative, attachments."""

from __future__ import annotations

import html
import random
import re

from shared_inbox.corpus import attachments as files
from shared_inbox.corpus import mime
from shared_inbox.corpus.thread import Attachment, MailSpec, zone

_QUOTE_MARKS = re.compile(r"^(?:&gt; ?)+")
_MIME_TYPES = {"png": "image/png", "pdf": "application/pdf"}


def render(spec: MailSpec, receiving_host: str) -> bytes:
    charset = _usable_charset(spec)
    mode = "Q" if charset == "iso-8859-1" else "B"
    headers: list[tuple[str, str]] = []
    local_date = mime.rfc5322_date(spec.when.astimezone(zone(spec.utc_offset_minutes)))
    if spec.received_from is not None:
        queue_id = f"{spec.render_seed:012X}"
        octet = spec.render_seed % 250 + 2
        headers.append(
            (
                "Received",
                f"from mail.{spec.received_from} (mail.{spec.received_from} [192.0.2.{octet}])\r\n"
                f"\tby {receiving_host} with ESMTPS id {queue_id};\r\n\t{local_date}",
            )
        )
    headers.append(("Date", local_date))
    headers.append(("From", mime.address(spec.sender[0], spec.sender[1], charset, mode)))
    headers.append(("To", mime.address_list(spec.to, charset, mode)))
    if spec.cc:
        headers.append(("Cc", mime.address_list(spec.cc, charset, mode)))
    if spec.reply_to is not None:
        headers.append(("Reply-To", mime.address(spec.reply_to[0], spec.reply_to[1], charset, mode)))
    headers.append(("Subject", mime.unstructured(spec.subject, charset, mode)))
    if spec.message_id is not None:
        headers.append(("Message-ID", f"<{spec.message_id}>"))
    if spec.in_reply_to is not None:
        headers.append(("In-Reply-To", f"<{spec.in_reply_to}>"))
    if spec.references:
        headers.append(("References", mime.message_id_list(spec.references)))
    for name, value in spec.extra_headers:
        headers.append((name, mime.unstructured(value, charset, mode)))
    return mime.render(headers, _body(spec, charset))


def _usable_charset(spec: MailSpec) -> str:
    """The sender's charset when it can carry the text, else UTF-8 (as clients fall back)."""
    if spec.charset == "utf-8":
        return "utf-8"
    try:
        (spec.subject + spec.body + spec.sender[0]).encode(spec.charset)
    except UnicodeEncodeError:
        return "utf-8"
    return spec.charset


def _body(spec: MailSpec, charset: str) -> mime.Part:
    boundary = f"----=_Part_{spec.render_seed:012x}"
    if spec.html == "only":
        body = mime.text_part(
            to_html(spec.body, spec.html_style, _html_charset(charset)), "html", _html_charset(charset)
        )
    elif spec.html == "alternative":
        body = mime.multipart(
            "alternative",
            [
                mime.text_part(spec.body, "plain", charset),
                mime.text_part(
                    to_html(spec.body, spec.html_style, _html_charset(charset)),
                    "html",
                    _html_charset(charset),
                ),
            ],
            boundary + "_alt",
        )
    else:
        body = mime.text_part(spec.body, "plain", charset)
    if not spec.attachments:
        return body
    rng = random.Random(spec.render_seed)
    parts = [body] + [_attachment(item, rng) for item in spec.attachments]
    return mime.multipart("mixed", parts, boundary + "_mix")


def _html_charset(charset: str) -> str:
    return "utf-8" if charset == "iso-2022-jp" else charset


def _attachment(item: Attachment, rng: random.Random) -> mime.Part:
    if item.kind == "png":
        data = files.png(rng)
    else:
        data = files.pdf(item.title or "Document", [f"Reference {rng.randint(10000, 99999)}", "Thank you."])
    return mime.attachment_part(data, _MIME_TYPES[item.kind], item.filename)


def to_html(text: str, style: str, charset: str = "utf-8") -> str:
    """The HTML a mail client would send for `text`: paragraphs, quotes as blockquotes."""
    blocks: list[str] = []
    quote: list[str] = []
    for paragraph in html.escape(text, quote=False).split("\n\n"):
        lines = paragraph.split("\n")
        if all(line.startswith("&gt;") for line in lines):
            quote.extend(_QUOTE_MARKS.sub("", line).rstrip() for line in lines)
            continue
        if quote:
            blocks.append("<blockquote>" + "<br>\n".join(quote) + "</blockquote>")
            quote = []
        inner = "<br>\n".join(lines)
        blocks.append(f'<p class="MsoNormal">{inner}</p>' if style == "outlook" else f"<div>{inner}</div>")
    if quote:
        blocks.append("<blockquote>" + "<br>\n".join(quote) + "</blockquote>")
    content = "\n".join(blocks)
    if style == "outlook":
        return (
            '<html xmlns:o="urn:schemas-microsoft-com:office:office"><head>\n'
            '<meta http-equiv="Content-Type" content="text/html; charset=' + charset + '">\n'
            "<style><!-- p.MsoNormal {margin:0cm; font-size:11.0pt; "
            'font-family:"Calibri",sans-serif;} --></style>\n'
            f'</head><body lang="EN-US"><div class="WordSection1">\n{content}\n</div></body></html>'
        )
    return f'<html><head></head><body><div dir="ltr">\n{content}\n</div></body></html>'
