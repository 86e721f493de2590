"""Save a trained routing model to one file and load it back.

The file is a zip archive with two entries:
- `card.json`: the format name and version and the model card (field, labels, training
  size, cross-validated metrics, threshold, created_at …), readable without loading the
  model (`model_card_read`), e.g. to decide a promotion or show it to an admin;
- `members.joblib`: the fitted scikit-learn members, pickled with joblib. Pickle runs code
  when loaded, so load only model files Postroom wrote itself (in its data folder); the
  card keeps the payload's SHA-256 to catch a truncated or altered file.

The sentence encoder's weights are not in the file: they come from their package, and a
model whose encoder (package version, layers, token limit) differs from the installed one
is refused rather than fed vectors it was not trained on.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import zipfile
from pathlib import Path

from postroom.routing.classifier import Metrics, ModelCard, TrainedModel

FORMAT = "postroom-routing-model"
FORMAT_VERSION = 1


class ModelFileError(ValueError):
    """A model file that cannot be used: wrong format, damaged, or made for other software."""


def model_save(model: TrainedModel, path: str | Path) -> Path:
    """Write *model* to *path* (atomically: a reader never sees half a file); return the path."""
    import joblib
    import sklearn

    path = Path(path)
    payload = io.BytesIO()
    joblib.dump(model.members, payload, compress=3)
    data = payload.getvalue()
    card = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "sklearn_version": sklearn.__version__,
        "members_sha256": hashlib.sha256(data).hexdigest(),
        **dataclasses.asdict(model.card),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("card.json", json.dumps(card, indent=2, sort_keys=True))
        archive.writestr("members.joblib", data)
    partial.replace(path)
    return path


def model_card_read(path: str | Path) -> ModelCard:
    """Return the card of the model in *path* without loading the model itself."""
    return _card_from_json(_read_card_json(Path(path)))


def model_load(path: str | Path) -> TrainedModel:
    """Return the model saved in *path*; raise ModelFileError when it cannot be used as is."""
    import joblib
    import sklearn

    path = Path(path)
    raw = _read_card_json(path)
    card = _card_from_json(raw)
    if _minor(raw.get("sklearn_version", "")) != _minor(sklearn.__version__):
        raise ModelFileError(
            f"{path}: trained with scikit-learn {raw.get('sklearn_version')}, this is "
            f"{sklearn.__version__}; retrain it with `postroom routing train`"
        )
    if card.encoder is not None:
        from postroom.routing.encoder import encoder_spec

        installed = encoder_spec()
        if installed is None or str(installed) != card.encoder:
            raise ModelFileError(
                f"{path}: trained with the sentence encoder {card.encoder}, "
                f"installed: {installed or 'none'}; retrain it with `postroom routing train`"
            )
    with zipfile.ZipFile(path) as archive:
        data = archive.read("members.joblib")
    if hashlib.sha256(data).hexdigest() != raw.get("members_sha256"):
        raise ModelFileError(f"{path}: the model data does not match its card (damaged file?)")
    members = joblib.load(io.BytesIO(data))
    return TrainedModel(card=card, members=tuple(members))


def _read_card_json(path: Path) -> dict:
    """Return the raw card of *path*, checking the format name and version."""
    try:
        with zipfile.ZipFile(path) as archive:
            raw = json.loads(archive.read("card.json"))
    except FileNotFoundError:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ModelFileError(f"{path}: not a Postroom routing model ({exc})") from exc
    if raw.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not a Postroom routing model")
    if raw.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: model file format {raw.get('format_version')}, this Postroom reads "
            f"{FORMAT_VERSION}; retrain it with `postroom routing train`"
        )
    return raw


def _card_from_json(raw: dict) -> ModelCard:
    """Build a ModelCard from its JSON form (tuples come back as lists)."""
    names = {f.name for f in dataclasses.fields(ModelCard)}
    values = {k: v for k, v in raw.items() if k in names}
    try:
        values["metrics"] = Metrics(**values["metrics"])
        for key in ("labels", "members", "weights"):
            values[key] = tuple(values[key])
        return ModelCard(**values)
    except (KeyError, TypeError) as exc:
        raise ModelFileError(f"incomplete model card ({exc})") from exc


def _minor(version: str) -> tuple[str, ...]:
    return tuple(version.split(".")[:2])


def model_card_from_dict(raw: dict) -> ModelCard:
    """Return the card stored as JSON data (a version's row in the database)."""
    return _card_from_json(raw)
