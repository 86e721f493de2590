"""Read labelled messages from a desk's CSV export, for training and evaluation."""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass
from pathlib import Path

# An exported email body can be long; csv's default field limit (128 KiB) is not enough.
_FIELD_LIMIT = min(sys.maxsize, 2**31 - 1)


@dataclass(frozen=True)
class LabeledTexts:
    """Message texts and their labels, in the same order; `skipped` rows had no label."""

    texts: tuple[str, ...]
    labels: tuple[str, ...]
    skipped: int = 0


def labeled_texts_read(path: str | Path, *, text_columns: tuple[str, ...], label_column: str) -> LabeledTexts:
    """Return the rows of a CSV file: the text columns joined by a blank line, and the label.

    Rows without a label are skipped and counted; a missing column is a ValueError that
    lists the columns the file has.
    """
    csv.field_size_limit(_FIELD_LIMIT)
    texts: list[str] = []
    labels: list[str] = []
    skipped = 0
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        have = reader.fieldnames or []
        missing = [c for c in (*text_columns, label_column) if c not in have]
        if missing:
            raise ValueError(f"{path}: no column {', '.join(missing)} (columns: {', '.join(have)})")
        for row in reader:
            label = (row[label_column] or "").strip()
            if not label:
                skipped += 1
                continue
            parts = [(row[c] or "").strip() for c in text_columns]
            texts.append("\n\n".join(p for p in parts if p))
            labels.append(label)
    return LabeledTexts(texts=tuple(texts), labels=tuple(labels), skipped=skipped)
