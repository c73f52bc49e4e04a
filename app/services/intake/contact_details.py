"""A submitter's identifying details: alias, channel and handle, safe times, group, and the
address for content-free notices. They exist only encrypted, in `contact_encrypted`."""
from __future__ import annotations

import json
from dataclasses import dataclass

from app.crypto import decrypt_field, encrypt_field
from app.models import Submission

CONTACT_CONTEXT = "submission.contact"


@dataclass
class ContactDetails:
    alias: str = ""
    channel: str = ""
    handle: str = ""
    safe_times: str = ""
    organization: str = ""
    # Only for a content-free "you have a new message" e-mail, never for contacting the person.
    notice_email: str = ""

    def is_empty(self) -> bool:
        return not any((self.alias, self.channel, self.handle, self.safe_times, self.organization, self.notice_email))

    def reachable(self) -> bool:
        """Did the person give a way for an officer to contact them?"""
        return bool(self.handle)


def encrypt_contact(details: ContactDetails) -> bytes | None:
    if details.is_empty():
        return None
    return encrypt_field(json.dumps(details.__dict__, ensure_ascii=False), CONTACT_CONTEXT)


def decrypt_contact(submission: Submission) -> ContactDetails | None:
    if not submission.contact_encrypted:
        return None
    values = json.loads(decrypt_field(submission.contact_encrypted, CONTACT_CONTEXT))
    return ContactDetails(**{key: value for key, value in values.items() if key in ContactDetails.__dataclass_fields__})
