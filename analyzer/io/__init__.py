"""Sources: readers for comment dumps, writers, and the rejects sink."""

from .base import Reject  # noqa: F401
from .formats import FORMATS, Format, register_format  # noqa: F401
from .readers import FileCounts, ReadStats, detect_format, read_comments  # noqa: F401
from .records import ReadContext, record_to_comment  # noqa: F401
from . import platforms  # noqa: F401,E402  (registers the platform formats)
