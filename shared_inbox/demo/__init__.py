"""The embedded demo mailbox behind `shared-inbox demo`.

A real IMAP server and SMTP server on loopback, seeded with a few dozen support
conversations, a throwaway config and store, and a first sync through the
ordinary sync engine: the product runs against it exactly as against a real
mailbox. Nothing here is needed to use the product with a real account.
"""

from shared_inbox.demo.imap_server import Delivery
from shared_inbox.demo.mailbox import DemoMailbox, open_demo
from shared_inbox.demo.servers import DemoServers, ServerAddresses

__all__ = ["Delivery", "DemoMailbox", "DemoServers", "ServerAddresses", "open_demo"]
