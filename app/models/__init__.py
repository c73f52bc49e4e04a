"""All models, importable from one place (Alembic's autogenerate needs every table loaded)."""
from app.models.audit import GENESIS_HASH, KEYED_PREFIX, AuditEvent
from app.models.base import Base
from app.models.group_import import GroupImport
from app.models.groups import GROUP_STATES, GroupMessage, PartnerGroup
from app.models.keys import KEY_KINDS, KeyGrant, KeySession, OrgKey, SigningKey
from app.models.outbox import OutboxEmail, Subscriber
from app.models.records import (
    CASE_STATUSES,
    RECORD_KINDS,
    Case,
    CaseNote,
    Involvement,
    Record,
    RecordLink,
    case_record,
    case_submission,
    record_category,
)
from app.models.search import (
    SearchBlock,
    SearchKey,
    SearchLease,
    SearchMember,
    SearchRecordMember,
    SearchSegment,
    SearchStale,
)
from app.models.settings import Setting
from app.models.submission import Attachment, Message, Note, ReceiptRewrap, Submission, submission_category
from app.models.taxonomy import Category
from app.models.timestamps import TimestampBatch, TimestampPiece
from app.models.updates import Update
from app.models.user import ROLES, LoginThrottle, User

__all__ = [
    "CASE_STATUSES",
    "GENESIS_HASH",
    "GROUP_STATES",
    "KEYED_PREFIX",
    "KEY_KINDS",
    "RECORD_KINDS",
    "ROLES",
    "Attachment",
    "AuditEvent",
    "Base",
    "Case",
    "CaseNote",
    "Category",
    "GroupImport",
    "GroupMessage",
    "Involvement",
    "KeyGrant",
    "KeySession",
    "LoginThrottle",
    "Message",
    "Note",
    "OrgKey",
    "OutboxEmail",
    "PartnerGroup",
    "ReceiptRewrap",
    "Record",
    "RecordLink",
    "SearchBlock",
    "SearchKey",
    "SearchLease",
    "SearchMember",
    "SearchRecordMember",
    "SearchSegment",
    "SearchStale",
    "Setting",
    "SigningKey",
    "Submission",
    "Subscriber",
    "TimestampBatch",
    "TimestampPiece",
    "Update",
    "User",
    "case_record",
    "case_submission",
    "record_category",
    "submission_category",
]
