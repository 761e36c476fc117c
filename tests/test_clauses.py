"""Sentence and contrastive-clause splitting (examples written by us)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analyzer.text.clauses import clause_spans, contrast_at_end, contrast_at_start, split_clauses, split_sentences

CASES = [
    ("en", "love the OST but the ending ruined it", ["love the OST", "but the ending ruined it"]),
    ("en", "Great cast. However, the plot is weak!", ["Great cast.", "However, the plot is weak!"]),
    ("zh", "演员演技很好，但是剧情太拖沓了。", ["演员演技很好，", "但是剧情太拖沓了。"]),
    ("zh", "画面很美可是节奏太慢", ["画面很美", "可是节奏太慢"]),
    ("zh", "服装好看，不过配乐一般", ["服装好看，", "不过配乐一般"]),
    ("ko", "연기는 좋지만 스토리가 별로예요", ["연기는 좋지만", "스토리가 별로예요"]),
    ("ko", "OST 최고. 하지만 결말은 아쉬워요", ["OST 최고.", "하지만 결말은 아쉬워요"]),
    ("ko", "재밌어요 그런데 너무 길어요", ["재밌어요", "그런데 너무 길어요"]),
    ("ko", "배우는 좋으나 전개가 느리다", ["배우는 좋으나", "전개가 느리다"]),
    ("ko", "재미는 있는데 결말이 아쉬워요", ["재미는 있는데", "결말이 아쉬워요"]),
    ("ko", "연기는 좋았는데도 지루했다", ["연기는 좋았는데도", "지루했다"]),
    ("zh", "画面很美，只是节奏太慢", ["画面很美，", "只是节奏太慢"]),
    ("zh", "演员都很好，可惜结局烂尾", ["演员都很好，", "可惜结局烂尾"]),
    ("ja", "演技は最高だけど、ストーリーが微妙", ["演技は最高だけど", "ストーリーが微妙"]),
    ("ja", "映像は綺麗。でも音楽がうるさい", ["映像は綺麗。", "でも音楽がうるさい"]),
    ("vi", "Diễn xuất tốt nhưng cốt truyện dở", ["Diễn xuất tốt", "nhưng cốt truyện dở"]),
    ("th", "นักแสดงเล่นดีแต่เนื้อเรื่องยืด", ["นักแสดงเล่นดี", "แต่เนื้อเรื่องยืด"]),
    ("id", "aktingnya bagus tapi alurnya lambat", ["aktingnya bagus", "tapi alurnya lambat"]),
    ("id", "Kostumnya indah, namun ceritanya klise", ["Kostumnya indah,", "namun ceritanya klise"]),
    ("es", "la actuación es buena pero la trama es lenta", ["la actuación es buena", "pero la trama es lenta"]),
    ("pt", "a atuação é boa mas o enredo é lento", ["a atuação é boa", "mas o enredo é lento"]),
    ("pt", "gostei porém o final é triste", ["gostei", "porém o final é triste"]),
    ("tl", "maganda ang kwento pero mabagal", ["maganda ang kwento", "pero mabagal"]),
    ("ar", "التمثيل رائع لكن القصة مملة", ["التمثيل رائع", "لكن القصة مملة"]),
    ("fr", "les acteurs sont bons mais l'histoire est lente", ["les acteurs sont bons", "mais l'histoire est lente"]),
    ("de", "Die Musik ist toll, aber das Ende ist schlecht", ["Die Musik ist toll,", "aber das Ende ist schlecht"]),
    ("ru", "актёры хорошие, но сюжет скучный", ["актёры хорошие,", "но сюжет скучный"]),
    ("hi", "अभिनय अच्छा है लेकिन कहानी धीमी है", ["अभिनय अच्छा है", "लेकिन कहानी धीमी है"]),
    ("it", "la musica è bella ma la trama è lenta", ["la musica è bella", "ma la trama è lenta"]),
    ("tr", "oyunculuk iyi ama hikaye sıkıcı", ["oyunculuk iyi", "ama hikaye sıkıcı"]),
]

NO_SPLIT = [
    ("th", "แต่ละตอนสนุกมาก"),  # แต่ละ = each
    ("th", "ดูตั้งแต่ตอนแรก"),  # ตั้งแต่ = since
    ("th", "แต่งตัวสวย"),  # แต่ง = dress
    ("zh", "不但好看而且好听"),  # 不但 = not only
    ("zh", "我只是觉得好看"),  # 只是 = just, not after a comma
    ("ko", "이 드라마 재밌는데요"),  # -는데요 ends the sentence
    ("ja", "いつでも見たい"),  # でも inside いつでも
    ("es", "mas que nada"),  # Spanish "mas" is not "but"
    ("en", "the butler did it"),
    ("en", "ep 3.5 was good"),
]


@pytest.mark.parametrize("lang,text,expected", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_split_clauses(lang, text, expected):
    assert split_clauses(text, lang) == expected


@pytest.mark.parametrize("lang,text", NO_SPLIT)
def test_no_split_on_false_friends(lang, text):
    assert split_clauses(text, lang) == [text]


# A Korean connective ending stays with the clause it ends (어색하-지만 is one word, not 어색 + 하지만):
# -지만 after 하-, -는데/-은데 and every -ㄴ데, -으나, -데도; the words 하지만/그런데/근데 still open a clause.
KO_ENDINGS = [
    ("연기는 어색하지만 스토리는 재밌어요", ["연기는 어색하지만", "스토리는 재밌어요"]),
    ("배우는 예쁜데 연기가 별로", ["배우는 예쁜데", "연기가 별로"]),
    ("장면이 이상한데 음악은 좋다", ["장면이 이상한데", "음악은 좋다"]),
    ("주인공인데 분량이 적어요", ["주인공인데", "분량이 적어요"]),
    ("OST는 좋은데 결말이 아쉬워요", ["OST는 좋은데", "결말이 아쉬워요"]),
    ("연출은 멋있으나 전개가 느리다", ["연출은 멋있으나", "전개가 느리다"]),
    ("분량이 적은데도 존재감이 있다", ["분량이 적은데도", "존재감이 있다"]),
    ("재밌어요 근데 너무 길어요", ["재밌어요", "근데 너무 길어요"]),
    ("재밌다. 하지만 길다", ["재밌다.", "하지만 길다"]),
    ("하지만 결말이 별로", ["하지만 결말이 별로"]),
]


@pytest.mark.parametrize("text,expected", KO_ENDINGS)
def test_korean_connective_ending_stays_with_its_clause(text, expected):
    clauses = split_clauses(text, "ko")
    assert clauses == expected
    assert all(contrast_at_end(c, "ko") for c in clauses[:-1] if not contrast_at_start(clauses[-1], "ko"))
    assert not any(contrast_at_start(c, "ko") for c in clauses if not c.startswith(("하지만", "근데")))


@pytest.mark.parametrize("lang,text,expected", [
    ("zh", "演技很好，但是剧情拖沓", ["演技很好，", "但是剧情拖沓"]),
    ("zh", "画面很美可是节奏太慢", ["画面很美", "可是节奏太慢"]),
    ("zh", "演员很好，只是结局太仓促", ["演员很好，", "只是结局太仓促"]),
    ("zh", "演员都很好，可惜结局烂尾", ["演员都很好，", "可惜结局烂尾"]),
    ("en", "the acting is stiff, but the story is gripping", ["the acting is stiff,", "but the story is gripping"]),
])
def test_leading_conjunction_opens_the_next_clause(lang, text, expected):
    clauses = split_clauses(text, lang)
    assert clauses == expected
    assert contrast_at_start(clauses[1], lang) and not contrast_at_start(clauses[0], lang)
    assert not contrast_at_end(clauses[0], lang)


def test_portuguese_mas_only_for_portuguese():
    assert len(split_clauses("bom mas longo", "pt")) == 2
    assert len(split_clauses("bom mas longo", "es")) == 1


def test_sentences_and_edges():
    assert split_sentences("Great show! Loved it. 最高。また見たい") == ["Great show!", "Loved it.", "最高。", "また見たい"]
    assert split_clauses("", "en") == []
    assert split_clauses("...!!!", "en") == []
    assert split_clauses("😭😭😭", "en") == ["😭😭😭"]
    assert split_clauses("line one\nline two", None) == ["line one", "line two"]


@given(st.text(max_size=200), st.sampled_from(["en", "zh", "ja", "th", "pt", None]))
def test_spans_are_ordered_nonempty_and_inside(text, lang):
    spans = clause_spans(text, lang)
    last = 0
    for start, end in spans:
        assert last <= start < end <= len(text)
        assert text[start:end].strip() == text[start:end]
        last = end
