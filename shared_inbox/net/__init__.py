"""What IMAP and SMTP share about talking to a mail server: TLS and failures phrased for people."""
