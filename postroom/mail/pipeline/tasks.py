"""Jobs of the intake path; they take ids, never objects."""

from __future__ import annotations

from django_tasks import task


@task()
def process_raw_message(raw_id: int) -> str:
    """Run the pipeline for one stored raw message; returns its outcome."""
    from postroom.mail.pipeline.runner import raw_message_process

    return raw_message_process(raw_id=raw_id)
