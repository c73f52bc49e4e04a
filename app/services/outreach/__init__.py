"""Talking to the outside: bilingual updates, NGO subscriptions, the mail outbox."""
