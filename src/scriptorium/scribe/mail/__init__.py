"""Scribe mail: put reviewed emails in the student's own Drafts folder, send them carefully, notice replies.

This package is the transport layer (issue 14): what a mail server is (`servers`), the message Scribe builds
(`message`), IMAP and SMTP sessions (`imap`, `smtp`) whose failures become `errors.MailError`s with words a
student understands, a connection test (`probe`) and the SPF/DKIM/DMARC check (`deliverability`). It knows
nothing about the database: the product layer (accounts, runs, jobs, API) builds on it.

Every connection goes through `reach`: the host is resolved once, refused when it is private or loopback unless
FETCH_ALLOW_HOSTS names it, and the checked address is the one connected to (TLS still verifies the host name).
"""
