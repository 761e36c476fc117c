"""Text normalization: mojibake, HTML, masking, whitespace, emoji; idempotent."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.errors import ConfigError
from analyzer.schema import Comment
from analyzer.stages.normalize import NormalizeStage
from analyzer.text.normalize import normalize_text


@pytest.mark.parametrize("raw, clean", [
    ("The cafÃ© scene", "The café scene"),  # mojibake repaired
    ("  lots\tof \n\n space  ", "lots of space"),
    ("Vie\u0302\u0323t Nam", "Việt Nam"),  # NFC
    ("so good 😭👨\u200d👩\u200d👧 🇹🇭", "so good 😭👨\u200d👩\u200d👧 🇹🇭"),  # emoji and ZWJ kept
    ("zero\u200bwidth\ufeff", "zerowidth"),
    ("watch at https://www.viki.com/tv/123?x=1 now", "watch at http now"),
    ("go to bit.ly/abc123 or www.example.com", "go to http or http"),
    ("@LotusPier_88 agreed", "@user agreed"),
    ("mail me a@b.com", "mail me a@b.com"),  # not a mention, not a URL
    ("I <3 this &amp; that", "I <3 this &amp; that"),  # plain sources keep entities
])
def test_normalize_examples(raw, clean):
    assert normalize_text(raw) == clean


def test_html_mode_strips_tags_and_entities():
    raw = "So sweet &amp; cute<br>Can&#39;t wait <a href=\"https://youtube.com/watch?v=x&amp;t=95\">1:35</a>"
    assert normalize_text(raw, html_mode="strip") == "So sweet & cute Can't wait 1:35"
    assert normalize_text("a &gt; b &lt;3", html_mode="entities") == "a > b <3"


def test_stage_keeps_raw_text_and_detects_html():
    plain = Comment(id="1", text="Love it https://x.example.com @someone")
    html_declared = Comment(id="2", text="A<br>B &amp; C", extra={"text_format": "html"})
    html_guessed = Comment(id="3", text="A<br>B")
    entities = Comment(id="4", text="Tom &amp; Jerry", extra={"text_format": "entities"})
    out = NormalizeStage()([plain, html_declared, html_guessed, entities])
    assert out[0].text == plain.text and out[0].clean_text == "Love it http @user"
    assert [c.clean_text for c in out[1:]] == ["A B & C", "A B", "Tom & Jerry"]
    assert NormalizeStage(html="never")([html_guessed])[0].clean_text == "A<br>B"
    assert NormalizeStage(mask=False)([plain])[0].clean_text == plain.text


def test_stage_validates_parameters():
    with pytest.raises(ConfigError, match="'html' parameter of NormalizeStage"):
        NormalizeStage(html="sometimes")
    with pytest.raises(ConfigError, match="url_token"):
        NormalizeStage(url_token="two words")


TEXTS = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200) | st.sampled_from([
    "cafÃ© @x.y www.a.com/b", "<b>bold</b> &amp;amp; <br/>", "12:34 😭 https://t.co/x", "Ã¢â‚¬â„¢", " \u3000 全角 ",
])


@settings(max_examples=300, deadline=None)
@given(text=TEXTS, mode=st.sampled_from(["never", "strip", "entities"]))
def test_normalize_is_idempotent(text, mode):
    once = normalize_text(text, html_mode=mode)
    assert normalize_text(once) == once
    assert unicodedata.is_normalized("NFC", once)
    assert once == once.strip() and "  " not in once


@settings(max_examples=100, deadline=None)
@given(text=TEXTS)
def test_stage_is_idempotent(text):
    stage = NormalizeStage()
    first = stage([Comment(id="x", text=text or "x")])
    assert stage(first) == first


def _safe_ranges():
    import re

    from analyzer.text.normalize import SAFE_CHARS

    for lo, hi in re.findall(r"(.)-(.)", SAFE_CHARS, flags=re.S):
        yield ord(lo), ord(hi)


def test_safe_characters_are_left_alone_by_ftfy_and_nfc():
    """The fast path replaces ftfy by NFC for text made of SAFE_CHARS only: check that claim
    on every code point of those ranges, in runs of 48 (ftfy judges mojibake on sequences)."""
    import ftfy

    from analyzer.text import normalize as N

    for lo, hi in _safe_ranges():
        for start in range(lo, hi + 1, 48):
            chunk = "".join(map(chr, range(start, min(start + 48, hi + 1))))
            assert ftfy.fix_text(chunk, N._FTFY) == unicodedata.normalize("NFC", chunk), hex(start)
            assert N._INVISIBLE.sub("", chunk) == chunk, hex(start)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("aZ 1.:@/\tw한국語ไทย\u0e48\u0e38カ、！😭\u200d\ufe0fé\u00a0Ã£”\r\u0301đ"), max_size=40))
def test_fast_path_matches_ftfy_path(text):
    """normalize_text with the SAFE_CHARS and repair.left_alone shortcuts equals the
    always-ftfy reference."""
    import re

    from analyzer.text import normalize as N
    from analyzer.text import repair

    fast = normalize_text(text)
    saved, N._SAFE, repair.ENABLED = N._SAFE, re.compile("(?!)"), False
    try:
        assert fast == normalize_text(text)
    finally:
        N._SAFE, repair.ENABLED = saved, True


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("aW w.:/ComNET\t\n\u00a0\u3000\u2028\x1c"), max_size=30))
def test_url_hint_and_folding_shortcuts(text):
    """The URL hint finds what the plain alternation finds; folding is skipped only when it
    would change nothing."""
    import re

    from analyzer.text import normalize as N

    plain = re.compile(rf"(?i)://|www\.|\.(?:{N._TLDS})")
    assert N.might_have_url(text) == (plain.search(text) is not None)
    if not N.needs_folding(text):
        assert " ".join(text.split()) == text


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from("aZ 1.:@/w\t\n\u3000\u00a0\u0e48\u0e38カ한😭é\u0301Ãcom.TV"), max_size=30),
       st.booleans())
def test_is_clean_only_where_cleaning_changes_nothing(text, mask):
    """The is_clean shortcut says True only for texts a cleaning pass leaves as they are, and
    normalize_text gives what it gives without the shortcut."""
    from analyzer.text import normalize as N

    fast = normalize_text(text, mask=mask)
    saved, N.is_clean = N.is_clean, lambda text, mask: False
    try:
        assert fast == normalize_text(text, mask=mask)
        if saved(text, mask):
            assert N._clean_once(text, mask, N.URL_TOKEN, N.MENTION_TOKEN) == text
    finally:
        N.is_clean = saved
