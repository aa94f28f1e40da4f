"""IMAP access: connecting, syncing folders, waiting with IDLE."""
