"""All models, importable from one place (Alembic's autogenerate needs every table loaded)."""
from app.models.audit import GENESIS_HASH, AuditEvent
from app.models.base import Base
from app.models.keys import KEY_KINDS, KeyGrant, KeySession, OrgKey
from app.models.outbox import OutboxEmail, Subscriber
from app.models.settings import Setting
from app.models.submission import Attachment, Message, Note, ReceiptRewrap, Submission, submission_category
from app.models.taxonomy import Category
from app.models.updates import Update
from app.models.user import ROLES, LoginThrottle, User

__all__ = [
    "GENESIS_HASH",
    "KEY_KINDS",
    "ROLES",
    "Attachment",
    "AuditEvent",
    "Base",
    "Category",
    "KeyGrant",
    "KeySession",
    "LoginThrottle",
    "Message",
    "Note",
    "OrgKey",
    "OutboxEmail",
    "ReceiptRewrap",
    "Setting",
    "Submission",
    "Subscriber",
    "Update",
    "User",
    "submission_category",
]
