"""Files attached to a public form: checked by content, size and count before anything is stored."""
from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import MultipleFileField
from wtforms.validators import ValidationError

from app.services.files import metadata
from app.services.files.attachments import PreparedFile, UploadRejected, prepare


class AttachmentsMixin:
    """A several-file field checked by content, size and count; sets `prepared_files`."""

    attachments = MultipleFileField(_l("Files (optional)"))
    keep_metadata_choice = False

    @property
    def max_file_bytes(self) -> int:
        return current_app.config["MAX_UPLOAD_MB"] * 1024 * 1024

    @property
    def max_files(self) -> int:
        return current_app.config["MAX_FILES_PER_SUBMISSION"]

    @property
    def not_cleaned_types(self) -> str:
        """".webm, .hwp, .doc, …": the files whose hidden information cannot be removed."""
        return ", ".join(metadata.not_cleaned_extensions())

    def validate_attachments(self, field):
        self.prepared_files: list[PreparedFile] = []
        chosen = [f for f in (field.data or []) if getattr(f, "filename", None)]
        if len(chosen) > self.max_files:
            raise ValidationError(_l("You can attach up to %(count)s files at a time.", count=self.max_files))
        problems = []
        for storage in chosen:
            data = storage.stream.read(self.max_file_bytes + 1)
            storage.close()  # large uploads are spooled to a temporary file: release it now
            try:
                self.prepared_files.append(
                    prepare(storage.filename, data, self.max_file_bytes, self.keep_metadata_choice)
                )
            except UploadRejected as rejected:
                problems.append(upload_problem(rejected.reason, storage.filename, self.max_file_bytes))
        if problems:
            self.prepared_files = []
            field.errors.extend(problems[:-1])
            raise ValidationError(problems[-1])


def upload_problem(reason: str, name: str, max_bytes: int) -> str:
    megabytes = max_bytes // (1024 * 1024)
    messages = {
        "too_large": _("“%(name)s” is too large. Each file can be up to %(mb)sMB.", name=name, mb=megabytes),
        "empty": _("“%(name)s” is empty. Please choose the file again.", name=name),
        "type": _(
            "“%(name)s” cannot be attached. Photos, PDF, audio, video and common documents "
            "(Word, Excel, HWP, text) can be attached.", name=name
        ),
        "damaged": _(
            "“%(name)s” cannot be read, so its hidden information (such as the place or the author) cannot be "
            "removed. It may be damaged. Please check that it opens, or choose another file.", name=name
        ),
    }
    return messages[reason]
