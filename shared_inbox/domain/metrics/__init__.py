"""Reports: how fast the team answers, whether it keeps its word, and who carries the load.

Pure functions over :class:`ConversationFacts`; the report service builds the facts from
the store and passes the time in.
"""

from shared_inbox.domain.metrics.attribution import (
    REPLY_SENT,
    UNATTRIBUTED,
    Member,
    Role,
    Roster,
    attribute,
    recorded_replies,
    reply_sent_data,
)
from shared_inbox.domain.metrics.facts import ConversationFacts, MessageFact, PromiseFact, conversation_facts
from shared_inbox.domain.metrics.report import (
    AgentRow,
    Breakdown,
    DayRow,
    Period,
    Report,
    SlaRow,
    Waiting,
    compute_report,
)
from shared_inbox.domain.metrics.stats import Distribution, distribution, percentile
from shared_inbox.domain.metrics.summary import Summary, summarise

__all__ = [
    "REPLY_SENT",
    "UNATTRIBUTED",
    "AgentRow",
    "Breakdown",
    "ConversationFacts",
    "DayRow",
    "Distribution",
    "Member",
    "MessageFact",
    "Period",
    "PromiseFact",
    "Report",
    "Role",
    "Roster",
    "SlaRow",
    "Summary",
    "Waiting",
    "attribute",
    "compute_report",
    "conversation_facts",
    "distribution",
    "percentile",
    "recorded_replies",
    "reply_sent_data",
    "summarise",
]
