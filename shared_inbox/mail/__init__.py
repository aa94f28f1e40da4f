"""The mail adapter's pure parts: reading headers into MessageMeta and sanitizing untrusted text."""

from shared_inbox.mail.headers import TOKEN_HEADER, parse_header_block
from shared_inbox.mail.msgid import make_message_id, token_from_message_id
from shared_inbox.mail.sanitize import clean_line, clean_text, header_safe, looks_like_markup

__all__ = [
    "TOKEN_HEADER",
    "clean_line",
    "clean_text",
    "header_safe",
    "looks_like_markup",
    "make_message_id",
    "parse_header_block",
    "token_from_message_id",
]
