"""Themes, intents, noise and per-theme polarity (themes.lexicon.v1 + ThemeStage). The
per-language example tables also run against themes.hybrid.v1, the default backend.

Every example below is written by us for these tests."""

from __future__ import annotations

import json

import numpy as np
import pytest

from analyzer.backends.base import ThemeBackend, ThemeMatch
from analyzer.backends.themes_hybrid import HybridThemeBackend
from analyzer.backends.themes_lexicon import LexiconThemeBackend
from analyzer.errors import ConfigError, ModelError
from analyzer.registry import select_backend
from analyzer.schema import INTENTS, SENTIMENT_LABELS, THEMES, Comment
from analyzer.stages.themes import ThemeStage

LANGS = ("en", "zh", "ko", "ja", "vi", "th", "id", "es")

# theme -> one example per language (in LANGS order)
THEME_EXAMPLES = {
    "story": [
        "The plot twist in the last episode was insane",
        "这个剧情太精彩了，结局也很好",
        "스토리가 너무 탄탄해요",
        "ストーリーが本当に面白い",
        "Cốt truyện quá hay luôn",
        "เนื้อเรื่องสนุกมาก",
        "Alur ceritanya bagus banget",
        "La trama es increíble",
    ],
    "pacing": [
        "It's so draggy in the middle, too many filler episodes",
        "中间太拖沓了，注水严重",
        "전개가 너무 느려서 지루해요",
        "中盤のテンポが悪くて間延びしてる",
        "Phim dài dòng quá, câu tập nhiều",
        "ยืดมาก ดำเนินเรื่องช้า",
        "Ceritanya bertele-tele, terlalu lambat",
        "Es demasiado lenta, mucho relleno",
    ],
    "romance": [
        "Their chemistry is off the charts, my new OTP",
        "男女主好甜，我嗑CP嗑疯了",
        "두 사람 케미가 너무 좋고 설레요",
        "二人のキスシーンに胸キュンした",
        "Cặp đôi này tình cảm quá, ngọt ngào ghê",
        "คู่นี้ฟินมาก เคมีดีสุดๆ",
        "Couple ini bikin baper banget",
        "La química de la pareja es hermosa",
    ],
    "acting": [
        "His acting in the crying scene was phenomenal",
        "男主演技太好了",
        "배우들 연기력이 대단해요",
        "主演の演技が上手すぎる",
        "Diễn xuất của nam chính quá đỉnh",
        "นักแสดงเล่นดีมาก",
        "Akting pemainnya keren",
        "La actuación del protagonista masculino es brutal",
    ],
    "characters": [
        "The female lead is so smart and the villain is terrifying",
        "女二太可怜了，反派也很有魅力",
        "여주 캐릭터가 너무 매력적이에요",
        "ヒロインのキャラが好き",
        "Nữ chính thông minh, phản diện cũng hay",
        "นางเอกนิสัยดี ตัวร้ายก็ร้ายมาก",
        "Karakter tokoh utamanya kuat",
        "El villano es el mejor personaje",
    ],
    "production": [
        "The costumes and cinematography are stunning",
        "服化道太用心了，特效也不错",
        "의상이랑 영상미가 최고예요",
        "衣装と映像美が素晴らしい",
        "Trang phục và bối cảnh đẹp quá",
        "เสื้อผ้าสวย งานภาพดีมาก",
        "Kostumnya bagus dan sinematografinya keren",
        "El vestuario y la fotografía son preciosos",
    ],
    "music": [
        "The OST is on repeat, that theme song is beautiful",
        "主题曲太好听了",
        "노래가 너무 좋아요",
        "主題歌が最高",
        "Nhạc phim hay quá trời",
        "เพลงประกอบเพราะมาก",
        "Lagunya enak banget",
        "La banda sonora es preciosa",
    ],
    "culture": [
        "I love learning about Chinese culture and history from this",
        "可以了解很多传统文化",
        "역사랑 문화를 배울 수 있어서 좋아요",
        "中国の歴史と文化が勉強になる",
        "Được biết thêm văn hóa Trung Quốc",
        "ได้เรียนรู้วัฒนธรรมจีน",
        "Jadi tahu budaya dan sejarah China",
        "Me encanta aprender sobre la cultura china",
    ],
    "subtitles": [
        "The English subtitles are so bad, whoever did the translation",
        "字幕翻译太烂了",
        "자막 번역이 엉망이에요",
        "字幕の翻訳がひどい",
        "Phụ đề dịch sai nhiều quá",
        "ซับไทยแปลผิดเยอะ",
        "Terjemahannya kacau, sub indo telat",
        "Los subtítulos en español están mal traducidos",
    ],
    "comparison": [
        "This is better than most K-dramas I've seen",
        "比韩剧好看多了",
        "중드가 한드보다 재밌네요",
        "韓国ドラマより面白い",
        "Phim này hay hơn phim Hàn nhiều",
        "สนุกกว่าซีรีส์เกาหลีอีก",
        "Lebih bagus dari drakor",
        "Mejor que muchos doramas coreanos",
    ],
    "access": [
        "It's not available on Netflix in my region, need a VPN",
        "爱奇艺会员才能看，广告太多",
        "넷플릭스에 없어서 못 봐요",
        "ネトフリで配信してほしい",
        "Xem trên iQIYI phải mua vip",
        "ดูได้ทาง WeTV แต่ต้องสมัครสมาชิก",
        "Nonton di Viu tapi banyak iklan",
        "No está disponible en Netflix de mi país",
    ],
    "fandom": [
        "Fighting!! Fans from Brazil love you so much",
        "永远支持你，粉丝们应援走起",
        "팬미팅 꼭 와주세요 응원해요",
        "ファンミーティングに行きたい、ずっと応援してる",
        "Fan cứng của anh ấy đây, ủng hộ anh",
        "แฟนคลับจากไทยเป็นกำลังใจให้นะ",
        "Fans dari Indonesia selalu support",
        "Los fans de México te apoyamos siempre",
    ],
    "values": [
        "The way they romanticize toxic behaviour is problematic",
        "三观不正，重男轻女",
        "여혐 논란에 검열까지",
        "男尊女卑な描写が気になる",
        "Tư tưởng trọng nam khinh nữ quá",
        "ชายเป็นใหญ่เกินไป",
        "Banyak adegan kekerasan yang dinormalisasi, patriarki banget",
        "Es muy machista y la violencia está romantizada",
    ],
}

# intent -> one example per language (in LANGS order)
INTENT_EXAMPLES = {
    "watch": [
        "Adding this to my list, will watch this weekend",
        "准备看了，先码住",
        "주말에 볼게요",
        "今度見てみよう",
        "Mai mình sẽ xem phim này",
        "จะดูเรื่องนี้แน่นอน",
        "Mau nonton ini besok",
        "La voy a ver este fin de semana",
    ],
    "binge": [
        "I binged it in one sitting",
        "一口气刷完了，熬夜追",
        "밤새 정주행했어요",
        "徹夜で一気見した",
        "Cày xuyên đêm luôn",
        "ดูรวดเดียวจบ โต้รุ่งเลย",
        "Maraton semalam suntuk",
        "Me la maratoneé en un fin de semana",
    ],
    "completed": [
        "Just finished watching the whole series",
        "终于看完了",
        "드디어 다 봤어요",
        "全話見終わった",
        "Xem hết rồi, buồn ghê",
        "ดูจบแล้ว",
        "Udah tamat nonton",
        "Ya la terminé y lloré",
    ],
    "dropped": [
        "I dropped it after episode 10",
        "看不下去了，弃剧",
        "5화에서 하차했어요",
        "途中で脱落した",
        "Bỏ phim luôn, chán quá",
        "เลิกดูแล้ว",
        "Aku berhenti nonton di episode 5",
        "La dejé en el capítulo 8",
    ],
    "rewatch": [
        "Rewatching it for the third time",
        "二刷了还是好哭",
        "세 번째 다시 보는 중",
        "三周目の再視聴",
        "Xem lại lần thứ ba rồi",
        "ดูซ้ำรอบที่สาม",
        "Nonton ulang untuk ketiga kalinya",
        "La volví a ver por tercera vez",
    ],
    "recommend": [
        "Highly recommend it, a must watch",
        "强烈推荐这部",
        "강추합니다 꼭 보세요",
        "絶対見てほしい、おすすめ",
        "Mọi người nên xem, đáng xem lắm",
        "แนะนำเลย ห้ามพลาด",
        "Rekomendasi banget, wajib nonton",
        "Se las recomiendo, vale la pena",
    ],
    "waiting": [
        "Can't wait for the next episode!!",
        "坐等更新，第二季快来",
        "다음화 언제 나와요 기다려요",
        "次回が待ち遠しい",
        "Hóng tập sau quá",
        "รอตอนต่อไปไม่ไหวแล้ว",
        "Gak sabar nunggu episode selanjutnya",
        "Ya quiero el próximo capítulo",
    ],
    "where_to_watch": [
        "Where can I watch this in Germany?",
        "海外在哪里看啊",
        "어디서 볼 수 있나요",
        "どこで見れますか",
        "Xem phim này ở đâu vậy mọi người",
        "ดูได้ที่ไหนคะ",
        "Nonton di mana ya?",
        "¿Dónde puedo ver este drama?",
    ],
}

# near misses: (lang, text, label that must NOT fire)
NEAR_MISSES = [
    ("en", "That's the story of my life", "story"),
    ("en", "Long story short, I slept all day", "story"),
    ("en", "I'm acting like a fool today", "acting"),
    ("en", "Pretty sure I'll be late", "acting"),
    ("en", "I bought it for a song at the market", "music"),
    ("en", "Subscribe to my channel for more", "access"),
    ("en", "Subscribe to my channel for more", "subtitles"),
    ("en", "I can't wait for dinner", "waiting"),
    ("en", "Turn on the ceiling fan please", "fandom"),
    ("en", "Watch out for the bus", "watch"),
    ("en", "My jaw dropped at that scene", "dropped"),
    ("en", "I don't recommend it", "recommend"),
    ("en", "I won't watch this", "watch"),
    ("en", "A couple of friends came over", "romance"),
    ("en", "That's a chef's kiss of a sandwich", "romance"),
    ("en", "Food for thought", "culture"),
    ("en", "Make up your mind", "production"),
    ("en", "The finished product", "completed"),
    ("zh", "不推荐", "recommend"),
    ("zh", "我不想看", "watch"),
    ("zh", "还没看完", "completed"),
    ("zh", "这个甜品很好吃", "romance"),
    ("ko", "사랑니 뽑았어요", "romance"),
    ("ko", "팬티 샀어요", "fandom"),
    ("ko", "일정이 연기됐어요", "acting"),
    ("ja", "見たくない", "watch"),
    ("ja", "電話した", "story"),
    ("ja", "ちょっと待って", "waiting"),
    ("vi", "Hôm nay đường phố đông quá", "romance"),
    ("vi", "Sự kiện diễn ra hôm qua", "acting"),
    ("th", "แต่ละวันยาวนาน", "story"),
    ("th", "ไม่แนะนำ", "recommend"),
    ("th", "ช้างตัวใหญ่", "pacing"),
    ("th", "แฟนคลับ", "romance"),
    ("id", "Kapal laut besar", "romance"),
    ("id", "Pemain bola itu", "acting"),
    ("id", "Subscribe channel aku ya", "subtitles"),
    ("es", "La historia de mi vida", "story"),
    ("es", "No la recomiendo", "recommend"),
    ("es", "Espero que estés bien", "waiting"),
    ("es", "Por fin llegó el viernes", "story"),
]

NOISE = [
    ("en", "first!!"), ("en", "12:34"), ("en", "12:34 45:01"), ("en", "https://example.com/abc"),
    ("en", "Subscribe to my channel for daily vlogs"), ("en", "check my profile 😍"), ("en", "   "),
    ("zh", "沙发"), ("ko", "1등"), ("ja", "一番乗り"), ("vi", "Đầu tiên"), ("th", "เม้นแรก"),
    ("id", "Pertamax"), ("es", "Primero!"), ("en", "earn money from home, dm me"), ("en", "<url>"),
]


def _cases(table):
    return [pytest.param(label, lang, text, id=f"{label}-{lang}")
            for label, texts in table.items() for lang, text in zip(LANGS, texts)]


@pytest.fixture(scope="module")
def backend():
    return LexiconThemeBackend()


@pytest.fixture(scope="module", params=["themes.lexicon.v1", "themes.hybrid.v1"])
def table_backend(request):
    """The lexicon and the default backend: both must pass the per-language tables."""
    return LexiconThemeBackend() if request.param == "themes.lexicon.v1" else HybridThemeBackend()


def test_tables_cover_every_theme_and_intent():
    assert set(THEME_EXAMPLES) | {"intent"} == set(THEMES)
    assert set(INTENT_EXAMPLES) == set(INTENTS)
    assert all(len(v) == len(LANGS) for v in (*THEME_EXAMPLES.values(), *INTENT_EXAMPLES.values()))


@pytest.mark.parametrize("theme,lang,text", _cases(THEME_EXAMPLES))
def test_theme_fires(table_backend, theme, lang, text):
    match = table_backend.predict([text], [lang])[0]
    assert theme in match.themes, match
    assert not match.noise
    low = 0.5 if table_backend.name == "themes.lexicon.v1" else 0.0  # the hybrid's are probabilities
    assert low < match.themes[theme] <= 1.0


@pytest.mark.parametrize("intent,lang,text", _cases(INTENT_EXAMPLES))
def test_intent_fires_and_sets_intent_theme(table_backend, intent, lang, text):
    match = table_backend.predict([text], [lang])[0]
    assert intent in match.intents, match
    assert "intent" in match.themes


@pytest.mark.parametrize("lang,text,label", NEAR_MISSES)
def test_near_miss_does_not_fire(table_backend, lang, text, label):
    match = table_backend.predict([text], [lang])[0]
    assert label not in match.themes and label not in match.intents, match


@pytest.mark.parametrize("lang,text", NOISE)
def test_noise(table_backend, lang, text):
    match = table_backend.predict([text], [lang])[0]
    assert match.noise and not match.themes and not match.intents


@pytest.mark.parametrize("text", ["10/10", "😭😭😭", "at 12:34 the kiss scene 😍", "Who's the actor at 3:15?"])
def test_not_noise(table_backend, text):
    assert not table_backend.predict([text], ["en"])[0].noise


def test_unknown_or_missing_language_uses_every_lexicon(backend):
    out = backend.predict(["剧情很好", "la trama es buena", "the plot"], None)
    assert all("story" in m.themes for m in out)
    assert "story" in backend.predict(["剧情很好"], ["und"])[0].themes


def test_language_aliases_and_code_mixing(backend):
    assert "story" in backend.predict(["alur ceritanya bagus"], ["ms"])[0].themes
    # English cues are matched in every language: Taglish, Chinese with Latin words
    assert {"acting", "romance"} <= set(backend.predict(["Ang galing ng acting, kilig much"], ["tl"])[0].themes)
    assert "music" in backend.predict(["这个OST很好听"], ["zh"])[0].themes


def test_vietnamese_without_diacritics(backend):
    assert "story" in backend.predict(["cot truyen hay qua"], ["vi"])[0].themes
    assert "subtitles" in backend.predict(["phu de dich sai"], ["vi"])[0].themes


def test_scores_grow_with_evidence(backend):
    one = backend.predict(["the plot"], ["en"])[0].themes["story"]
    two = backend.predict(["the plot and the ending and the twist"], ["en"])[0].themes["story"]
    assert 0.5 <= one < two <= 1.0
    assert "pacing" not in backend.predict(["slow"], ["en"])[0].themes  # one weak cue is not enough


def test_evidence_is_the_clause(backend):
    match = backend.predict(["I love the OST but the ending ruined it"], ["en"])[0]
    assert match.evidence == {"story": ("but the ending ruined it",), "music": ("I love the OST",)}
    zh = backend.predict(["演技很好，但是剧情太拖沓了"], ["zh"])[0]
    assert zh.evidence["acting"] == ("演技很好，",)
    assert zh.evidence["story"] == ("但是剧情太拖沓了",)


def test_intent_theme_needs_an_intent(backend):
    assert "intent" not in backend.predict(["the plot"], ["en"])[0].themes
    assert backend.predict(["The plot"], ["en"])[0].intents == ()


def test_negation_only_before_the_cue(backend):
    assert "waiting" in backend.predict(["I can't wait for the next episode"], ["en"])[0].intents
    assert "recommend" not in backend.predict(["I would never recommend this"], ["en"])[0].intents
    assert "recommend" in backend.predict(["Not perfect, but I recommend it"], ["en"])[0].intents


def test_registry_and_protocol(backend):
    assert isinstance(backend, ThemeBackend)
    assert isinstance(select_backend("themes.lexicon.v1", "themes"), LexiconThemeBackend)
    assert backend.predict([], []) == []
    assert backend.predict([None], ["en"])[0].noise  # type: ignore[list-item]


def test_every_shipped_language_loads(backend):
    assert set(backend.languages) >= {"en", "zh", "ja", "ko", "vi", "th", "id", "tl", "es", "pt", "ar",
                                      "fr", "de", "ru", "hi", "it", "tr"}
    for lang in backend.languages:
        backend.predict(["test"], [lang])


def test_custom_lexicon_folder(tmp_path):
    (tmp_path / "en.tsv").write_text("# tiny\nstory\tplot\t~arc\t!plot of land\nwatch\twill watch\n", encoding="utf-8")
    backend = LexiconThemeBackend(path=tmp_path)
    assert backend.predict(["the plot"], ["en"])[0].themes == {"story": 0.8}
    assert backend.predict(["a plot of land"], ["en"])[0].themes == {}
    assert backend.predict(["the arc"], ["en"])[0].themes == {}
    assert backend.predict(["I will watch"], ["fr"])[0].intents == ("watch",)


@pytest.mark.parametrize("content,message", [
    ("storyy\tplot\n", "unknown label"),
    ("story\tre:(unclosed\n", "bad regex"),
])
def test_bad_lexicon_file(tmp_path, content, message):
    (tmp_path / "en.tsv").write_text(content, encoding="utf-8")
    with pytest.raises(ModelError, match=message) as info:
        LexiconThemeBackend(path=tmp_path)
    assert "en.tsv:1" in str(info.value)


def test_missing_lexicon_folder(tmp_path):
    with pytest.raises(ModelError, match="No lexicon files"):
        LexiconThemeBackend(path=tmp_path / "nope")
    with pytest.raises(ConfigError, match="'threshold' parameter of LexiconThemeBackend"):
        LexiconThemeBackend(threshold=0)


# ---- the stage ----------------------------------------------------------------------

class KeywordSentiment:
    """A tiny SentimentBackend: 'love'/'great' positive, 'ruined'/'bad' negative."""

    name = "test.keywords"

    def __init__(self):
        self.calls = []

    def predict_proba(self, texts, langs=None):
        self.calls.append(list(texts))
        rows = []
        for t in texts:
            low = t.lower()
            if any(w in low for w in ("ruined", "bad", "boring")):
                rows.append([0.8, 0.1, 0.1])
            elif any(w in low for w in ("love", "great", "好")):
                rows.append([0.1, 0.1, 0.8])
            else:
                rows.append([0.2, 0.6, 0.2])
        return np.asarray(rows)


def _comment(text, lang="en", **kw):
    return Comment(id=text[:8], text=text, clean_text=text, lang=lang, **kw)


def test_stage_contract():
    stage = ThemeStage()
    assert stage.name == "themes"
    assert stage.requires == ("clean_text", "lang")
    assert stage.assigns == ("themes", "theme_scores", "theme_polarity", "intents", "noise")
    assert stage([]) == []
    json.dumps(stage.describe())


def test_stage_aspect_polarity_per_clause():
    sentiment = KeywordSentiment()
    stage = ThemeStage(sentiment=sentiment)
    out = stage([_comment("I love the OST but the ending ruined it"), _comment("first!")])
    c, noise = out
    assert c.themes == ("story", "music")  # TAXONOMY order
    assert c.theme_polarity == {"music": "positive", "story": "negative"}
    assert set(c.theme_scores) == {"story", "music"}
    assert not c.noise
    assert noise.noise and noise.themes == () and noise.theme_polarity == {}
    assert len(sentiment.calls) == 1  # one call per batch


def test_stage_reuses_comment_sentiment_for_whole_text_clauses():
    sentiment = KeywordSentiment()
    stage = ThemeStage(sentiment=sentiment)
    scores = (0.7, 0.2, 0.1)
    (c,) = stage([_comment("The plot", sentiment="negative", sentiment_scores=scores)])
    assert c.theme_polarity == {"story": "negative"}
    assert sentiment.calls == []


def test_stage_without_sentiment_backend():
    stage = ThemeStage()
    (c,) = stage([_comment("The plot was great", sentiment="positive")])
    assert c.theme_polarity == {"story": "positive"}
    (d,) = stage([_comment("Love the OST but the ending ruined it", sentiment="positive")])
    assert d.theme_polarity == {}  # several clauses: no guess without a sentiment backend


def test_stage_keeps_upstream_noise():
    (c,) = ThemeStage()([_comment("The plot is great", noise=True)])
    assert c.noise and c.themes == ()


def test_stage_resolves_registered_sentiment_name():
    pytest.importorskip("analyzer.backends.sentiment_linear")
    stage = ThemeStage(sentiment="sentiment.linear.v1")
    (c,) = stage([_comment("I love the OST but the ending ruined it")])
    assert set(c.theme_polarity) == {"story", "music"}
    assert set(c.theme_polarity.values()) <= set(SENTIMENT_LABELS)


def test_stage_accepts_a_backend_instance():
    class Fixed:
        name = "test.fixed"

        def predict(self, texts, langs=None):
            return [ThemeMatch({"story": 0.9}, ("watch",), False, {"story": (t,)}) for t in texts]

    (c,) = ThemeStage(backend=Fixed())([_comment("anything")])
    assert c.themes == ("story",) and c.intents == ("watch",) and c.theme_scores == {"story": 0.9}


# ---- evaluation ---------------------------------------------------------------------

def test_evaluate_themes_on_records(tmp_path):
    from analyzer.evaluation.themes import evaluate_themes, format_report

    records = [
        {"text": "I love the OST but the ending ruined it", "lang": "en", "stance": "negative",
         "themes": ["story", "music"], "theme_polarity": {"story": "negative", "music": "positive"},
         "intents": [], "noise": False},
        {"text": "Rewatching it for the third time", "lang": "en", "stance": "positive",
         "themes": ["intent"], "intents": ["rewatch"], "noise": False},
        {"text": "first!", "lang": "en", "themes": [], "intents": [], "noise": True},
        {"text": "The costumes are great", "lang": "en", "stance": "positive", "themes": ["production", "acting"],
         "intents": [], "noise": False},
    ]
    path = tmp_path / "dev.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8")
    result = evaluate_themes(path, "themes.lexicon.v1", KeywordSentiment())
    assert result["n"] == 4
    assert result["themes"]["story"]["f1"] == 1.0
    assert result["themes"]["acting"]["recall"] == 0.0 and result["themes"]["acting"]["support"] == 1
    assert result["theme_micro_precision"] == 1.0
    assert result["theme_micro_recall"] == pytest.approx(4 / 5)
    assert result["intent_micro_f1"] == 1.0
    assert result["noise"]["f1"] == 1.0
    assert result["polarity_accuracy"] == 1.0 and result["polarity_pairs"] == 2
    assert result["stance_n"] == 3 and 0.0 <= result["stance_macro_f1"] <= 1.0
    report = format_report(result)
    for needle in ("theme micro-F1", "theme macro-F1", "intent micro-F1", "stance macro-F1", "story", "rewatch"):
        assert needle in report
    no_sentiment = evaluate_themes(records, LexiconThemeBackend())
    assert no_sentiment["stance_macro_f1"] is None and "n/a" in format_report(no_sentiment)


def test_evaluate_themes_bad_input(tmp_path):
    from analyzer.errors import InputError, RecordError
    from analyzer.evaluation.themes import evaluate_themes

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok", "themes": []}\n{"text": "x", "themes": ["plot"]}\n', encoding="utf-8")
    with pytest.raises(RecordError, match="bad.jsonl:2"):
        evaluate_themes(bad)
    bad.write_text('{"text": "ok"}\nnot json\n', encoding="utf-8")
    with pytest.raises(RecordError, match="bad.jsonl:2"):
        evaluate_themes(bad)
    with pytest.raises(InputError):
        evaluate_themes(tmp_path / "missing.jsonl")


@pytest.mark.parametrize("labels", ['"themes": 5', '"themes": [["acting"]]', '"themes": "acting"', '"intents": {"a": 1}'])
def test_evaluate_themes_labels_that_are_not_a_list_of_ids(tmp_path, labels):
    # 5 and [["acting"]] used to end in a TypeError traceback; "acting" in "unknown ids ['a', 'c', 'g', ...]"
    from analyzer.errors import RecordError
    from analyzer.evaluation.themes import evaluate_themes

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok", "themes": []}\n{"text": "x", %s}\n' % labels, encoding="utf-8")
    with pytest.raises(RecordError, match=r"bad.jsonl:2.*must be a list of TAXONOMY ids"):
        evaluate_themes(bad)


def test_stage_uses_mentions_when_present():
    (c,) = ThemeStage()([_comment("Lin Feng was so good today", mentions=("cast:Lin Feng",), sentiment="positive")])
    assert c.themes == ("acting",) and c.theme_polarity == {"acting": "positive"}
    (d,) = ThemeStage()([_comment("the plot and Bai Qing", mentions=("character:Bai Qing",))])
    assert d.themes == ("story", "characters")
