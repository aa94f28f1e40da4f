"""What the composer form starts with, and what it keeps of an unsent message.

The prefilled recipients come from the reply service's preview; the draft is stored per
conversation in the store's settings, so it survives closing the form and restarting the app.
"""

from __future__ import annotations

from dataclasses import dataclass

NEW_CONVERSATION_DRAFT = "new"


def draft_key(conversation_id: str) -> str:
    """The store setting holding the unsent message for one conversation ("new" for a new one)."""
    return f"draft:{conversation_id}"


@dataclass(frozen=True)
class Draft:
    """What the agent typed, as stored: fields kept as typed so a half-written address survives."""

    mode: str
    body: str = ""
    to: str = ""
    cc: str = ""
    subject: str = ""

    def to_setting(self) -> dict[str, str]:
        return {"mode": self.mode, "body": self.body, "to": self.to, "cc": self.cc, "subject": self.subject}

    @classmethod
    def from_setting(cls, value: object) -> Draft | None:
        """The stored draft; a bare string is the text alone, as earlier versions saved it."""
        if isinstance(value, str):
            return cls(mode="", body=value)
        if not isinstance(value, dict):
            return None
        fields = {name: value.get(name) for name in ("mode", "body", "to", "cc", "subject")}
        if not all(isinstance(field, str) for field in fields.values()):
            return None
        return cls(**fields)  # type: ignore[arg-type]
