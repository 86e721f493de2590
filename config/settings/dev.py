"""Local development and the embedded default (`postroom serve`)."""

from .base import *  # noqa: F403
