"""Cue rules for real drama comments (docs/themes-drama-cues.md), on comments written for this test."""

from __future__ import annotations

import pytest

from analyzer.backends.themes_lexicon import LexiconThemeBackend

FIRES = [  # (lang, text, label that must fire)
    ("ko", "솔직히 좋았다 나중에 다시 봐야지", "rewatch"),
    ("ko", "몇 번을 돌려봤는지 모르겠어요", "rewatch"),
    ("ko", "월요병 치료제, 안보면 후회합니다", "recommend"),
    ("ko", "월요일이 기다려지는 드라마", "waiting"),
    ("ko", "드라마 끝나서 너무 아쉬워요", "completed"),
    ("ko", "타임슬립 청춘물 중에 최고", "comparison"),
    ("ko", "입시 경쟁과 빈부 격차를 잘 그렸다", "values"),
    ("zh", "七集弃，实在看不动了", "dropped"),
    ("zh", "三天追完了，停不下来", "binge"),
    ("zh", "今天看到大结局了", "completed"),
    ("zh", "期待接下来的剧情", "waiting"),
    ("zh", "还可以，保持水准我会追", "watch"),
    ("zh", "对应试教育和原生家庭的刻画很真实", "values"),
    ("zh", "恶意差评太多了，一看就是水军", "fandom"),
    ("zh", "安欣就是个工具人", "characters"),
    ("en", "Great social commentary on the class divide", "values"),
    ("es", "Una crítica social muy fuerte sobre la desigualdad", "values"),
    ("zh", "因为众所周知的原因，后面删了好多集", "values"),
    ("zh", "对中国式家长和升学压力的刻画很真实", "values"),
    ("zh", "这么多打低分的，是认真看过吗", "fandom"),
    ("zh", "比《小别离》真实多了", "comparison"),
    ("zh", "千篇一律的家庭剧，腻了", "comparison"),
    ("ko", "오랜만에 설레는 로코", "comparison"),
    ("ko", "지금까지 본 드라마 중 최고", "comparison"),
    ("ko", "갑질과 빈부격차를 꼬집는 사회 비판", "values"),
    ("en", "A crime drama about police corruption", "values"),
    ("en", "The best revenge drama this year", "comparison"),
    ("pt", "Uma comédia romântica leve", "comparison"),
    ("id", "Dramanya banyak pesan moral soal bullying", "values"),
    ("vi", "Phim xuyên không mà hay ghê", "comparison"),
    ("vi", "Phim nói về bạo lực học đường rất thật", "values"),
    ("th", "ละครเรื่องนี้สะท้อนสังคมได้ดีมาก", "values"),
    ("ja", "社会派ドラマとして見応えがある", "values"),
    ("ar", "المسلسل يتكلم عن التنمر بشكل واقعي", "values"),
    ("en", "He is such a good anti-hero, I was rooting for him", "characters"),
    ("en", "Love hearing the northern dialect in this show", "culture"),
    ("en", "Honestly the book was better", "comparison"),
    ("en", "Which channel has all the episodes?", "access"),
    ("en", "Watching on the official channel so they get the views", "access"),
]

NEAR_MISSES = [  # (lang, text, label that must NOT fire)
    ("zh", "看完第一集真香", "completed"),
    ("zh", "看完了6集，还不错", "completed"),
    ("zh", "230201今天完结", "completed"),
    ("zh", "这剧真是神剧", "recommend"),
    ("zh", "本来不抱期待，结果很好看", "waiting"),
    ("zh", "孟德海、孟玉等人都是工具人", "waiting"),
    ("zh", "我上头了", "binge"),
    ("zh", "前26集跳过吴刚的戏也能看", "dropped"),
    ("ko", "제 인생 드라마예요", "recommend"),
    ("ko", "그 어떤 기대작 안부럽다", "waiting"),
    ("ko", "내 최애 드라마", "fandom"),
    ("ko", "옛날 로코를 다시 보는 기분", "rewatch"),
    ("ko", "제발 다 보고 피해없으시길", "completed"),
    ("de", "Ein Meisterwerk", "recommend"),
    ("zh", "看完《狂飙》之后去看了原著", "comparison"),
    ("zh", "镜头被剪辑得很乱", "values"),
    ("ko", "최고의드라마", "comparison"),
    ("ja", "ファンタジー要素がいい", "comparison"),
    ("en", "The corrupted file would not play", "values"),
    ("en", "His brother came to the fan meeting", "characters"),
    ("en", "Such a nostalgic song", "culture"),
]


@pytest.fixture(scope="module")
def lexicon():
    return LexiconThemeBackend()


@pytest.mark.parametrize(("lang", "text", "label"), FIRES)
def test_drama_cue_fires(lexicon, lang, text, label):
    match = lexicon.predict([text], [lang])[0]
    assert label in match.themes or label in match.intents, match


@pytest.mark.parametrize(("lang", "text", "label"), NEAR_MISSES)
def test_drama_near_miss_stays_silent(lexicon, lang, text, label):
    match = lexicon.predict([text], [lang])[0]
    assert label not in match.themes and label not in match.intents, match
