"""Files an agent uploads with a reply: a form field for several at once, and the
outgoing attachment each becomes (the desk's composer and the admin's reply form)."""

from __future__ import annotations

from typing import Any

from django import forms

from postroom.mail.outbound.compose import OutgoingAttachment


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file field that accepts several files (Django docs: uploading multiple files)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


def attachment_from_upload(upload: Any) -> OutgoingAttachment:
    """Return an uploaded file as an outgoing attachment."""
    return OutgoingAttachment(
        filename=upload.name,
        content=upload.read(),
        content_type=getattr(upload, "content_type", "") or "application/octet-stream",
    )
