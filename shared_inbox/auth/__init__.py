"""The built-in OAuth2 sign-in: the provider's endpoints (through authlib), where the refresh
token is kept, and the access-token source IMAP and SMTP sign in with."""
