"""The one shape of a service saying no: an exception with a short reason code, which the view
turns into a sentence in the reader's language (services never write user-facing text)."""
from __future__ import annotations


class Refused(ValueError):
    """`reason` is a code such as "too_long"; each subclass documents the codes it uses."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason
