"""A submitter's identifying details: alias, channel and handle, safe times, group, and the
address for content-free notices. They exist only sealed (SECURITY.md, "Contact details")."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy.orm import Session

from app.models import Submission
from app.sealed.keys import Keyring
from app.sealed.sealing import ItemKey, open_for_identity, seal_for_identity

NOTICE_PLACE = "submission.notice"


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


def seal_contact(session: Session, submission: Submission, details: ContactDetails, key: ItemKey) -> None:
    """Who the person is and how to reach them: sealed to the identity key, which only accounts
    that may contact submitters hold. The notice address, which any officer's reply needs in
    order to send its content-free notice, is sealed under the content key instead."""
    who = {name: value for name, value in asdict(details).items() if name != "notice_email"}
    submission.contact_sealed = seal_for_identity(session, submission.public_id, who) if any(who.values()) else None
    submission.notice_sealed = key.seal(NOTICE_PLACE, details.notice_email) if details.notice_email else None


def open_contact(keyring: Keyring, submission: Submission) -> ContactDetails | None:
    """The contact details, for a session holding the identity key (raises KeysError
    "not_unlocked" otherwise)."""
    if submission.contact_sealed is None:
        return None
    values = open_for_identity(keyring, submission.public_id, submission.contact_sealed)
    known = ContactDetails.__dataclass_fields__
    return ContactDetails(**{name: value for name, value in values.items() if name in known})


def notice_address(submission: Submission, key: ItemKey) -> str | None:
    return key.open_text(NOTICE_PLACE, submission.notice_sealed)
