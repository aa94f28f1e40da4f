"""Building outgoing mail: replies, reply-all, forwards and new conversations.

Everything that ends up in a header comes from strangers at some point (subjects, display
names, Message-IDs), so every header value passes :func:`header_safe` and addresses are
rebuilt through the ``email`` package's address parser: a hostile value can never start a
header of its own.

Our Message-IDs look like ``si.<token>.<random>@<support domain>`` and every message carries
``X-Shared-Inbox-Conversation: <token>``, so a customer's answer finds its conversation even
when their client drops References. The token is the conversation id itself (it already has
the token shape ``[a-z0-9]{1,32}``), which is what the thread index looks for.

Messages are serialized with CRLF line ends and 7-bit content transfer encodings (quoted-
printable or base64 for UTF-8 text), so any SMTP server accepts them unchanged and the same
bytes can be appended to the Sent folder.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address as HeaderAddress
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Literal

from shared_inbox.config.model import AccountConfig, Member
from shared_inbox.domain.auto_reply import AUTOMATIC_HEADERS
from shared_inbox.domain.model import Address, MessageMeta
from shared_inbox.domain.threading import conversation_id_for
from shared_inbox.mail.headers import TOKEN_HEADER
from shared_inbox.mail.msgid import cap_references, is_valid_token, make_message_id
from shared_inbox.mail.sanitize import clean_text, header_safe

__all__ = [
    "MAX_QUOTE_CHARS",
    "MAX_REFERENCES_SENT",
    "OUTGOING_POLICY",
    "ComposeError",
    "FromStyle",
    "OutgoingAttachment",
    "Recipients",
    "ReplyMode",
    "compose_new",
    "compose_reply",
    "envelope_recipients",
    "forward_subject",
    "message_bytes",
    "normalize_body",
    "reply_subject",
    "token_for",
]

ReplyMode = Literal["reply", "reply_all", "forward"]
FORWARD_DIVIDER = "---------- Forwarded message ----------"
FromStyle = Literal["agent_via", "plain"]
Recipients = tuple[Sequence[Address], Sequence[Address]]  # (To, Cc), used exactly as given

# Raw-set headers (References, In-Reply-To) are written exactly as we fold them: the modern
# folder would turn a Message-ID longer than a line into encoded words, which breaks threading.
OUTGOING_POLICY = policy.SMTP.clone(cte_type="7bit", refold_source="none")
MAX_REFERENCES_SENT = 20  # the root and the most recent ids; enough for every threading algorithm
MAX_QUOTE_CHARS = 100_000
_MAX_ID_CHARS_SENT = 250  # longer "ids" are junk that would only bloat the header
_REPLY_PREFIX = "re:"
_FORWARD_PREFIXES = ("fwd:", "fw:")
_SIGNATURE_SEPARATOR = "-- \n"
_MEDIA_NAME = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}")


class ComposeError(ValueError):
    """A message that cannot be built, phrased for the agent."""


@dataclass(frozen=True, slots=True)
class OutgoingAttachment:
    """A file the agent attaches; the name is reduced to a safe base name when added."""

    filename: str
    data: bytes
    content_type: str = "application/octet-stream"


def token_for(conversation_id: str) -> str:
    """The conversation token written into our mail: the id itself, or without its leading "c"."""
    for candidate in (conversation_id, conversation_id.removeprefix("c")):
        if is_valid_token(candidate):
            return candidate
    raise ComposeError(f"{conversation_id!r} is not a conversation id that can be written into mail.")


def compose_reply(
    original: MessageMeta,
    original_text: str,
    *,
    body: str,
    agent: Member,
    account: AccountConfig,
    mode: ReplyMode = "reply",
    conversation_id: str,
    from_style: FromStyle = "agent_via",
    reply_to: Address | None = None,
    attachments: Sequence[OutgoingAttachment] = (),
    to: Sequence[Address] = (),
    cc: Sequence[Address] = (),
    recipients: Recipients | None = None,
    team_addresses: Iterable[str] = (),
    date: datetime | None = None,
    include_original: bool = True,
    automatic: bool = False,
) -> EmailMessage:
    """A reply (to the sender), reply-all (also everyone else addressed) or forward of `original`.

    `original_text` is the readable text of the original, quoted below the agent's signature
    (or included whole in a forward). `to` and `cc` are required for a forward and added to
    the computed recipients of a reply. `recipients` (To, Cc) replaces all of that: exactly
    those people are written to, as an agent who edited the form expects. Addresses of the
    team are never written to. Without `include_original` the body already carries what it
    shows of the original (a forward the agent saw and edited in the composer). An
    `automatic` reply (sent by a rule, not a person) says so in its headers (RFC 3834), so
    responders do not answer it and the team's copies do not count it as an answer.
    """
    if mode == "forward":
        to_list, cc_list = list(to), list(cc)
        subject = forward_subject(original.subject)
        tail = forwarded_text(original, original_text)
    elif mode in ("reply", "reply_all"):
        to_list, cc_list = _reply_recipients(original, reply_all=mode == "reply_all")
        to_list += to
        cc_list += cc
        subject = reply_subject(original.subject)
        tail = _quoted(original, original_text)
    else:
        raise ComposeError(f"unknown reply mode {mode!r}; use reply, reply_all or forward")
    if not include_original:
        tail = ""
    if recipients is not None:
        to_list, cc_list = list(recipients[0]), list(recipients[1])
    addressees = _addressees(to_list, cc_list, ours=_team(account, agent, team_addresses))
    if not addressees[0]:
        what = "forward to" if mode == "forward" else "reply to"
        raise ComposeError(
            f"There is nobody to {what}: every address is missing, unusable or the team's own."
        )
    token = token_for(conversation_id)
    message = _start(
        account=account,
        agent=agent,
        from_style=from_style,
        reply_to=reply_to,
        addressees=addressees,
        message_id=_new_message_id(token, account),
        conversation_token=token,
        subject=subject,
        date=date,
    )
    _set_thread_headers(message, original, in_reply_to=mode != "forward")
    if automatic:
        for name, value in AUTOMATIC_HEADERS:
            message[name] = value
    signature = _signature(agent) if mode != "forward" else ""
    message.set_content(normalize_body(body) + signature + tail, charset="utf-8")
    _attach(message, attachments)
    return message


def compose_new(
    *,
    to: Sequence[Address],
    subject: str,
    body: str,
    agent: Member,
    account: AccountConfig,
    cc: Sequence[Address] = (),
    from_style: FromStyle = "agent_via",
    reply_to: Address | None = None,
    attachments: Sequence[OutgoingAttachment] = (),
    team_addresses: Iterable[str] = (),
    date: datetime | None = None,
) -> EmailMessage:
    """The first message of a new conversation.

    Its Message-ID carries a fresh token and its conversation header carries the id the thread
    index will give the conversation (derived from that Message-ID), so the id is known at once.
    """
    addressees = _addressees(to, cc, ours=_team(account, agent, team_addresses))
    if not addressees[0]:
        raise ComposeError("A new conversation needs at least one recipient outside the team.")
    clean_subject = header_safe(subject)
    if not clean_subject:
        raise ComposeError("A new conversation needs a subject.")
    # "n": a fresh token never has the shape of a conversation id ("c...").
    message_id = _new_message_id("n" + secrets.token_hex(5), account)
    message = _start(
        account=account,
        agent=agent,
        from_style=from_style,
        reply_to=reply_to,
        addressees=addressees,
        message_id=message_id,
        conversation_token=conversation_id_for(message_id),
        subject=clean_subject,
        date=date,
    )
    message.set_content(normalize_body(body) + _signature(agent), charset="utf-8")
    _attach(message, attachments)
    return message


# -- subjects ------------------------------------------------------------------


def reply_subject(subject: str) -> str:
    """ "Re: " + subject, unless it already starts with "Re:" (never "Re: Re: ...")."""
    clean = header_safe(subject)
    if clean.lower().startswith(_REPLY_PREFIX):
        return clean
    return f"Re: {clean}" if clean else "Re:"


def forward_subject(subject: str) -> str:
    clean = header_safe(subject)
    if clean.lower().startswith(_FORWARD_PREFIXES):
        return clean
    return f"Fwd: {clean}" if clean else "Fwd:"


# -- body ----------------------------------------------------------------------


def normalize_body(text: str) -> str:
    """The agent's text with LF line ends and no trailing blank space, ending in one newline."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(line.rstrip() for line in lines) + "\n" if lines else ""


def _signature(agent: Member) -> str:
    lines = normalize_body(agent.signature).split("\n")
    if lines[0] == "--":  # the agent wrote the separator themselves
        lines = lines[1:]
    signature = "\n".join(lines).strip("\n")
    return "\n" + _SIGNATURE_SEPARATOR + signature + "\n" if signature else ""


def _quoted(original: MessageMeta, original_text: str) -> str:
    text = _bounded(clean_text(original_text))
    if not text.strip():
        return ""
    when = original.date.astimezone(UTC).strftime("%a, %d %b %Y at %H:%M UTC")
    lines = [f"On {when}, {_who(original.sender)} wrote:"]
    for line in text.rstrip("\n").split("\n"):
        line = line.rstrip()
        lines.append(">" + line if line.startswith(">") or not line else "> " + line)
    return "\n" + "\n".join(lines) + "\n"


def forwarded_text(original: MessageMeta, original_text: str) -> str:
    """The forwarded message as a forward carries it: a divider, its headers, its text."""
    lines = [
        "",
        FORWARD_DIVIDER,
        f"From: {_who(original.sender)}",
        f"Date: {format_datetime(original.date.astimezone(UTC))}",
        f"Subject: {header_safe(original.subject)}",
    ]
    if original.to:
        lines.append("To: " + ", ".join(_who(a) for a in original.to))
    if original.cc:
        lines.append("Cc: " + ", ".join(_who(a) for a in original.cc))
    text = _bounded(clean_text(original_text)).rstrip("\n")
    return "\n".join(lines) + "\n\n" + (text + "\n" if text else "")


def _who(address: Address) -> str:
    name = header_safe(address.name)
    return f"{name} <{address.email}>" if name else address.email


def _bounded(text: str) -> str:
    text = text.replace("\r\n", "\n")
    if len(text) <= MAX_QUOTE_CHARS:
        return text
    return text[:MAX_QUOTE_CHARS].rsplit("\n", 1)[0] + "\n[... the rest was left out]\n"


# -- headers -------------------------------------------------------------------


def _start(
    *,
    account: AccountConfig,
    agent: Member,
    from_style: FromStyle,
    reply_to: Address | None,
    addressees: tuple[list[HeaderAddress], list[HeaderAddress]],
    message_id: str,
    conversation_token: str,
    subject: str,
    date: datetime | None,
) -> EmailMessage:
    message = EmailMessage(policy=OUTGOING_POLICY)
    if from_style == "agent_via":
        display = f"{header_safe(agent.name) or agent.email} via {header_safe(account.name)}".strip()
    elif from_style == "plain":
        display = header_safe(account.name)
    else:
        raise ComposeError(f"unknown from style {from_style!r}; use agent_via or plain")
    message["From"] = _header_address(Address(display, account.address))
    if reply_to is not None:
        message["Reply-To"] = _header_address(reply_to)
    for name, addresses in zip(("To", "Cc"), addressees, strict=True):
        if addresses:
            message[name] = addresses
    message["Subject"] = subject
    message["Date"] = format_datetime((date or datetime.now(UTC)).astimezone(UTC))
    message["Message-ID"] = f"<{message_id}>"
    message[TOKEN_HEADER] = conversation_token
    return message


def _new_message_id(token: str, account: AccountConfig) -> str:
    return make_message_id(token, _id_domain(account.address), secrets.token_urlsafe(12))


def _id_domain(address: str) -> str:
    """The host part of our Message-IDs: the support address's domain, IDNA-encoded if needed."""
    domain = address.rpartition("@")[2].strip().lower()
    for candidate in (domain, _idna(domain)):
        try:
            make_message_id("t", candidate, "r")
        except ValueError:
            continue
        return candidate
    raise ComposeError(f"The support address {address!r} has no domain usable in a Message-ID.")


def _idna(domain: str) -> str:
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return ""


def _reply_recipients(original: MessageMeta, *, reply_all: bool) -> tuple[list[Address], list[Address]]:
    if original.outgoing:  # following up our own message: write to the same people again
        to = list(original.to)
        cc = list(original.cc) if reply_all else []
    else:
        to = list(original.reply_to or (original.sender,))
        cc = [*original.to, *original.cc] if reply_all else []
    if reply_all:
        _refuse_partial_recipients(original)
    return to, cc


_CUT_ADDRESS_NOTE = re.compile(r"^(To|Cc|Reply-To): (longer than|more than) .*the rest ignored$")


def _refuse_partial_recipients(original: MessageMeta) -> None:
    """Reading the original kept only part of a huge To or Cc: a reply to all would quietly miss people."""
    cut = [note for note in original.header_notes if _CUT_ADDRESS_NOTE.match(note)]
    if cut:
        raise ComposeError(
            f"The original was sent to more people than shared-inbox keeps ({'; '.join(cut)}), "
            "so a reply to all would leave some of them out. Reply to the sender instead, "
            "and write to the others separately."
        )


def _team(account: AccountConfig, agent: Member, team_addresses: Iterable[str]) -> set[str]:
    return {account.address.lower(), agent.email.lower(), *(a.lower() for a in team_addresses)}


def _addressees(
    to: Iterable[Address], cc: Iterable[Address], *, ours: set[str]
) -> tuple[list[HeaderAddress], list[HeaderAddress]]:
    """To and Cc without duplicates or the team's own. An unusable To raises; a bad Cc is dropped."""
    seen = set(ours)
    picked: tuple[list[HeaderAddress], list[HeaderAddress]] = ([], [])
    for addresses, into, required in ((to, picked[0], True), (cc, picked[1], False)):
        for address in addresses:
            if address.email.lower() in seen:
                continue
            try:
                into.append(_header_address(address))
            except ComposeError:
                if required:
                    raise
                continue
            seen.add(address.email.lower())
    return picked


def _header_address(address: Address) -> HeaderAddress:
    email = header_safe(address.email)
    try:
        header = HeaderAddress(display_name=header_safe(address.name), addr_spec=email)
    except (ValueError, IndexError, TypeError):
        header = None
    if header is None or not header.username or not header.domain or not email.isascii():
        raise ComposeError(f"{email!r} is not an address mail can be sent to.")
    return header


def _set_thread_headers(message: EmailMessage, original: MessageMeta, *, in_reply_to: bool) -> None:
    """In-Reply-To the original, References = its chain + its id (root and latest kept)."""
    usable = [mid for mid in (*original.references, original.message_id) if _sendable_id(mid)]
    chain = cap_references(usable, exclude="", limit=MAX_REFERENCES_SENT)
    if chain:
        # Folded by hand, one id per line, so no id is ever split or encoded (see OUTGOING_POLICY).
        message.set_raw("References", "\r\n ".join(f"<{mid}>" for mid in chain))
    if in_reply_to and _sendable_id(original.message_id):
        message.set_raw("In-Reply-To", f"<{original.message_id}>")


def _sendable_id(mid: str) -> bool:
    return (
        0 < len(mid) <= _MAX_ID_CHARS_SENT
        and mid.isascii()
        and header_safe(mid) == mid
        and not any(c in mid for c in "<> \t")
    )


# -- attachments and serialization ---------------------------------------------


def _attach(message: EmailMessage, attachments: Sequence[OutgoingAttachment]) -> None:
    for index, attachment in enumerate(attachments, start=1):
        maintype, _, subtype = attachment.content_type.lower().partition("/")
        if not (_MEDIA_NAME.fullmatch(maintype) and _MEDIA_NAME.fullmatch(subtype)):
            maintype, subtype = "application", "octet-stream"
        name = _attachment_name(attachment.filename, index)
        message.add_attachment(attachment.data, maintype=maintype, subtype=subtype, filename=name)


def _attachment_name(filename: str, index: int) -> str:
    base = header_safe(filename.replace("\\", "/").rsplit("/", 1)[-1]).lstrip(".")
    return base[:200] or f"attachment-{index}"


def message_bytes(message: EmailMessage) -> bytes:
    """The bytes that go over SMTP and into the Sent folder (CRLF, 7-bit, no Bcc header)."""
    if "Bcc" in message:
        del message["Bcc"]
    return message.as_bytes(policy=OUTGOING_POLICY)


def envelope_recipients(message: EmailMessage) -> list[str]:
    """Every address the message goes to (To, Cc and Bcc), lower-cased, without duplicates."""
    found: dict[str, None] = {}
    for name in ("To", "Cc", "Bcc"):
        header = message.get(name)
        for address in getattr(header, "addresses", ()):
            if address.addr_spec:
                found.setdefault(address.addr_spec.lower(), None)
    return list(found)
