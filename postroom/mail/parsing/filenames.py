"""Make attachment file names safe to store, serve and download."""

from __future__ import annotations

import mimetypes
import re
import unicodedata

MAX_FILENAME_BYTES = 200
MAX_EXTENSION_CHARS = 16

# Characters Windows refuses in names, plus path separators everywhere.
_FORBIDDEN = re.compile(r'[<>:"/\\|?*]')
_WHITESPACE = re.compile(r"\s+")
_EXTENSION = re.compile(r"\.[A-Za-z0-9][A-Za-z0-9_+-]{0,15}$")
_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\.|$)", re.IGNORECASE)

# Extensions for types where `mimetypes` has no or a surprising answer.
_EXTENSIONS = {
    "application/octet-stream": ".bin",
    "text/plain": ".txt",
    "text/html": ".html",
    "text/calendar": ".ics",
    "text/rfc822-headers": ".txt",
    "message/rfc822": ".eml",
    "message/global": ".eml",
    "message/partial": ".eml",
    "message/external-body": ".txt",
    "message/delivery-status": ".txt",
    "message/global-delivery-status": ".txt",
    "message/disposition-notification": ".txt",
    "message/feedback-report": ".txt",
    "image/jpeg": ".jpg",
    "image/pjpeg": ".jpg",
    "application/pgp-signature": ".asc",
    "application/pgp-encrypted": ".asc",
    "application/pgp-keys": ".asc",
    "application/pkcs7-signature": ".p7s",
    "application/x-pkcs7-signature": ".p7s",
    "application/pkcs7-mime": ".p7m",
    "application/x-pkcs7-mime": ".p7m",
    "application/ms-tnef": ".dat",
    "application/vnd.ms-tnef": ".dat",
}

# Built-in tables only, so the result does not depend on the host's /etc/mime.types.
_MIME_TYPES = mimetypes.MimeTypes(filenames=())


def extension_for(content_type: str) -> str:
    """Return a file extension (with dot) for *content_type*; ".bin" when unknown."""
    content_type = content_type.lower()
    if content_type in _EXTENSIONS:
        return _EXTENSIONS[content_type]
    guessed = _MIME_TYPES.guess_extension(content_type, strict=False)
    return guessed or ".bin"


def guess_content_type(filename: str) -> str:
    """Return the content type a file name suggests; application/octet-stream when unknown."""
    guessed, _encoding = _MIME_TYPES.guess_type(filename, strict=False)
    return guessed or "application/octet-stream"


def fallback_filename(content_type: str, index: int) -> str:
    """Return a name like ``attachment-1.pdf`` for the *index*-th unnamed part."""
    return f"attachment-{index}{extension_for(content_type)}"


def _clip_utf8(text: str, max_bytes: int) -> str:
    """Return the longest prefix of *text* that is at most *max_bytes* in UTF-8."""
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return text
    return encoded[:max_bytes].decode("utf-8", "ignore")


def safe_filename(
    name: str | None,
    *,
    content_type: str = "application/octet-stream",
    index: int = 1,
    max_bytes: int = MAX_FILENAME_BYTES,
) -> str:
    """Return *name* reduced to a safe base name, or a fallback derived from *content_type*.

    Drops directories, control and bidirectional-override characters, characters that
    Windows refuses, leading dots and trailing dots/spaces; bounds the UTF-8 length while
    keeping the extension.
    """
    text = unicodedata.normalize("NFC", name or "")
    # Keep only the last path component, whichever separator the sender used.
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = _WHITESPACE.sub(" ", text)
    # Control (Cc) and format (Cf) characters include U+202E, used to disguise ".exe".
    text = "".join(ch for ch in text if unicodedata.category(ch) not in {"Cc", "Cf", "Cs"})
    text = _FORBIDDEN.sub("_", text)
    text = _WHITESPACE.sub(" ", text).strip(" .")
    if _WINDOWS_RESERVED.match(text):
        text = f"_{text}"
    if not text or set(text) <= {"_", " ", "."}:
        return fallback_filename(content_type, index)
    if len(text.encode("utf-8")) > max_bytes:
        match = _EXTENSION.search(text)
        extension = match.group(0) if match else ""
        stem = text[: len(text) - len(extension)]
        text = _clip_utf8(stem, max_bytes - len(extension.encode("utf-8"))).rstrip(" .") + extension
    return text
