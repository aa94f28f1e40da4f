"""Real servers for integration tests: Dovecot (IMAP, LMTP), Cyrus IMAP, an SMTP receiver, a test CA."""
