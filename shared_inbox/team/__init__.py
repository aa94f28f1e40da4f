"""Team state shared through the mailbox: events travel as small messages in one IMAP folder.

- encoding.py: the message format (a batch of events, or a snapshot covering a UID range);
- folder.py: the IMAP side of the events folder (create, append, read new, delete);
- shipping.py: the durable queue of local events not yet on the server;
- compactor.py: replacing many event messages by one snapshot.
"""
