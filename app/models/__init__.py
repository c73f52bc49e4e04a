"""All models, importable from one place (Alembic's autogenerate needs every table loaded)."""
from app.models.audit import GENESIS_HASH, AuditEvent
from app.models.base import Base
from app.models.submission import Attachment, Message, Submission, submission_category
from app.models.taxonomy import Category

__all__ = [
    "AuditEvent", "GENESIS_HASH", "Attachment", "Base", "Category", "Message", "Submission",
    "submission_category",
]
