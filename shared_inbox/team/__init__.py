"""Team state shared through the mailbox: events travel as small messages in one IMAP folder.

- envelope.py: the one MIME envelope every message of the folder travels in;
- signing.py: who may write team state (the team key's HMAC, no mail-server delivery, no far-future clocks);
- encoding.py: the message format (a batch of events, or a snapshot covering a UID range);
- presence.py: the format of presence notes (not team state);
- folder.py: the IMAP side of the events folder (create, append, read new, delete);
- shipping.py: the durable queue of local events not yet on the server;
- compactor.py: replacing many event messages by one snapshot.
"""
