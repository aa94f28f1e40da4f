"""Real servers for integration tests: Dovecot (IMAP, LMTP), an SMTP receiver, a test CA."""
