"""``NormalizeStage``: the raw ``text`` stays as it came; ``clean_text`` gets the
normalized, masked text models read (see ``analyzer.text.normalize``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import check_param
from ..schema import Comment, replacer
from ..text.normalize import MENTION_TOKEN, URL_TOKEN, is_clean, looks_like_html, normalize_text
from .base import Batch, Stage

HTML_MODES = ("auto", "always", "never")
_WITH_CLEAN_TEXT = replacer("clean_text")  # c.with_(clean_text=...), ~1 us cheaper per comment


class NormalizeStage(Stage):
    """``html``: ``"auto"`` strips tags/entities for sources that say their text is HTML
    (``extra["text_format"] == "html"``, e.g. YouTube ``textDisplay``) or whose text
    carries common tags/entities; ``"always"``; ``"never"``. ``mask`` replaces URLs
    and @mentions with ``url_token``/``mention_token``."""

    name = "normalize"
    requires = ()
    assigns = ("clean_text",)
    stateless = True

    def __init__(self, *, html: str = "auto", mask: bool = True,
                 url_token: str = URL_TOKEN, mention_token: str = MENTION_TOKEN) -> None:
        owner = type(self).__name__
        check_param(owner, "html", html, html in HTML_MODES, f"one of {', '.join(HTML_MODES)}")
        check_param(owner, "mask", mask, isinstance(mask, bool), "a bool")
        for name, token in (("url_token", url_token), ("mention_token", mention_token)):
            check_param(owner, name, token, isinstance(token, str) and bool(token.strip())
                        and " " not in token, "a non-empty string without spaces")
        self.html, self.mask = html, mask
        self.url_token, self.mention_token = url_token, mention_token

    def html_mode(self, comment: Comment) -> str:
        declared = comment.extra.get("text_format") if comment.extra else None
        if self.html == "never":
            return "entities" if declared == "entities" else "never"
        if self.html == "always" or declared == "html":
            return "strip"
        if declared == "entities":
            return "entities"
        return "strip" if looks_like_html(comment.text) else "never"

    def predict(self, batch: Sequence[Comment]) -> list[str]:
        return [self.clean(c.text, self.html_mode(c)) for c in batch]

    def clean(self, text: str, html_mode: str) -> str:
        """``normalize_text`` with this stage's settings; a text ``is_clean`` says a cleaning pass
        leaves as it is (most) is its own clean text when no HTML is to be stripped."""
        if html_mode == "never" and is_clean(text, self.mask):
            return text
        return normalize_text(text, html_mode=html_mode, mask=self.mask, url_token=self.url_token,
                              mention_token=self.mention_token)

    def annotate(self, batch: Sequence[Comment], predictions: list[str]) -> Batch:
        return list(map(_WITH_CLEAN_TEXT, batch, predictions))

    def describe(self) -> dict[str, Any]:
        return {"stage": self.name, "html": self.html, "mask": self.mask,
                "url_token": self.url_token, "mention_token": self.mention_token}

    def __repr__(self) -> str:
        return f"NormalizeStage(html={self.html!r}, mask={self.mask!r})"
