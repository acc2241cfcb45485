"""Cross-module tests of the email channel with real Dovecot and SMTP."""
