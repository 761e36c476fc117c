"""Language-ID backends and the text preparation they share.

``clean_for_langid`` strips what carries no language (URLs, mentions, masks,
hashtag marks, emoji, digits, punctuation); ``script_counts`` counts letters per
script so the stage can decide by script before any model runs.

Backends (all ``predict(texts, hints=None) -> list[LangPrediction]``):

- ``langid.py3langid.v1`` (default): py3langid 0.4.0 restricted to the configured
  languages (``norm_probs`` scale), batched, and rescored with our word lexicon
  (``analyzer/_models/langid/lexicon.npz``, see ``models/langid/card.md``) that
  separates close Latin-script languages and flags code-mixing.
- ``langid.lingua.v1`` and ``langid.langdetect.v1``: optional, for comparison.
"""

from __future__ import annotations

import functools
import importlib
import json
import math
import re
import threading
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import ConfigError, MissingDependency, ModelError
from ..registry import register
from .base import LangPrediction

from .kernels import hashed as _hashed  # None: the numpy walk below runs

DEFAULT_LANGUAGES = (
    "en", "zh", "ja", "ko", "vi", "th", "id", "ms", "tl", "es", "pt", "fr", "de", "it",
    "ru", "ar", "hi", "tr",
)
_PIECE, _OVERLAP = 56, 8  # bytes per piece of text in the DFA walk; bytes read before it (>= 6, the deepest state)
PY3_SURE = 0.95  # py3langid this sure keeps its answer where the lexicon lacks a word (chosen on dev)
THIN_KNOWN = 0  # ... or knows this many words or fewer (0: only where it lacks one; chosen on dev)
MIXED_SHARE = 0.15  # share of a text's known words a second language needs to be reported
LEXICON_PATH = Path(__file__).resolve().parent.parent / "_models" / "langid" / "lexicon.npz"
EXTRA_WORDS_PATH = LEXICON_PATH.with_name("extra_words.json")
MALAY_WORDS_PATH = LEXICON_PATH.with_name("malay_words.json")
UNACCENTED_WEIGHT = 0.5  # evidence of a word known only without its accents
MEMO_WORDS = 50_000  # words whose look-up is remembered, the lexicon's ~38k included: full after ~40k
# real comments, so a worker's memory stops growing early; past it mostly words seen once arrive
# (200k real comments: 69,076 look-ups at 50k, 62,541 when nothing is dropped; benchmarks/cache_caps.py)

# ---------------------------------------------------------------------- cleaning
_URL = re.compile(r"(?:https?://|www\.)\S+|\b[\w.-]+\.(?:com|net|org|co|ly|be|io|tv|me)(?:/\S*)?\b|\bhttps?\b", re.IGNORECASE)
_URL_HINT = re.compile(r"http|www\.|\.(?:com|net|org|co|ly|be|io|tv|me)\b", re.IGNORECASE)  # a cheap test
_DOMAIN_HINT = re.compile(r"\.(?:com|net|org|co|ly|be|io|tv|me)\b", re.IGNORECASE)  # its third branch (``_has_url_hint``)
_MASK = re.compile(r"\[(?:username|user|url|link|email|number|num)\]|<(?:url|user|mention|email|number)>", re.IGNORECASE)
_UPPER_MASK = re.compile(r"\bRT\b|\bUSER(?:_[A-Z]+)?\b|&(?:[a-z]+|#\d+);")  # retweets, USER masks, entities
_MENTION = re.compile(r"@[\w.]+")
_SEP = "\0"  # joins a batch's texts (``clean_many``)


# Combining marks that only dress symbols and emoji: variation selectors ("✌️") and the
# marks for symbols (the keycap of "3️⃣"). Without them an emoji-only text has no letters.
_SYMBOL_MARKS = ((0xFE00, 0xFE0F), (0x20D0, 0x20FF))


@functools.cache
def _dropped() -> np.ndarray:
    """Per code point: True where ``clean_for_langid`` makes a space (built on first use):
    BMP code points that are neither letters nor combining marks, and astral ones outside
    the Han planes (emoji, pictographs, symbols)."""
    drop = np.ones(0x110000, dtype=bool)
    bmp = np.fromiter((unicodedata.category(chr(c))[0] in "LM" for c in range(0x10000)), dtype=bool, count=0x10000)
    drop[:0x10000] = ~bmp
    drop[0x20000:0x30000] = False
    for first, last in _SYMBOL_MARKS:
        drop[first:last + 1] = True
    return drop


def _unmasked(text: str) -> str:
    """NFC text with URLs, masks, retweet marks and mentions made spaces (each pattern
    runs only where a cheap test finds its mark)."""
    text = unicodedata.normalize("NFC", text)
    if _has_url_hint(text):
        text = _URL.sub(" ", text)
    if "[" in text or "<" in text:
        text = _MASK.sub(" ", text)
    if "RT" in text or "USER" in text or "&" in text:
        text = _UPPER_MASK.sub(" ", text)
    if "@" in text:
        text = _MENTION.sub(" ", text)
    return text


def _has_url_hint(text: str) -> bool:
    """``_URL_HINT.search(text)`` found something, ~1.5x cheaper: its "http" and "www."
    are plain substrings of the lower-cased text (no other character folds to h, t, p
    or w), and the domain endings a regex with a literal prefix."""
    low = text.lower()
    return "http" in low or "www." in low or _DOMAIN_HINT.search(text) is not None


def clean_many(texts: Sequence[str]) -> list[str]:
    """``clean_for_langid`` of many texts: one table look-up over all their code points,
    then runs of spaces collapsed and trimmed per text in one pass (``_squeezed``)."""
    if not texts:
        return []
    kept = [_unmasked(text) for text in texts]
    joined = _SEP.join(kept)
    codes = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).copy()
    seps = codes == 0
    if int(np.count_nonzero(seps)) != len(kept) - 1:  # NUL inside a text: one by one
        return [_squeeze_one(text) for text in kept]
    codes[_dropped()[codes]] = 32  # a space
    codes[seps] = 0
    return _squeezed(codes).tobytes().decode("utf-32-le", "surrogatepass").split(_SEP)


def _squeeze_one(text: str) -> str:
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).copy()
    codes[_dropped()[codes]] = 32
    return " ".join(codes.tobytes().decode("utf-32-le", "surrogatepass").split())


def _squeezed(codes: np.ndarray) -> np.ndarray:
    """Texts joined by 0 with single spaces: no space at a text's start or end, none
    after another (``" ".join(text.split())`` of each, the only whitespace being 32)."""
    space = codes == 32
    gap = space.copy()  # a space or a text boundary before this position
    gap[1:] = space[:-1] | (codes[:-1] == 0)
    gap[:1] = True
    codes = codes[~(space & gap)]
    space = codes == 32
    end = np.empty(len(codes), dtype=bool)  # a boundary after this position
    end[:-1] = codes[1:] == 0
    end[-1:] = True
    return codes[~(space & end)]


def clean_for_langid(text: str) -> str:
    """Letters only: URLs, masks, mentions, emoji, digits and punctuation become spaces.

    Hashtag words are kept without their ``#``; combining marks (Thai vowels,
    Devanagari matras) stay with their letters; the result is NFC, single-spaced.
    """
    return clean_many([text])[0]


# ----------------------------------------------------------------------- scripts
# (first, last, script) code point ranges; anything else alphabetic is "Other".
_RANGES = (
    (0x0041, 0x024F, "Latn"), (0x1E00, 0x1EFF, "Latn"),
    (0x0400, 0x052F, "Cyrl"),
    (0x0600, 0x06FF, "Arab"), (0x0750, 0x077F, "Arab"), (0x08A0, 0x08FF, "Arab"),
    (0xFB50, 0xFDFF, "Arab"), (0xFE70, 0xFEFF, "Arab"),
    (0x0900, 0x097F, "Deva"),
    (0x0E00, 0x0E7F, "Thai"),
    (0x1100, 0x11FF, "Hang"), (0x3130, 0x318F, "Hang"), (0xAC00, 0xD7AF, "Hang"),
    (0x3040, 0x30FF, "Kana"), (0x31F0, 0x31FF, "Kana"), (0xFF66, 0xFF9F, "Kana"),
    (0x3400, 0x4DBF, "Hani"), (0x4E00, 0x9FFF, "Hani"), (0xF900, 0xFAFF, "Hani"),
    (0x20000, 0x2FA1F, "Hani"),
)
_SCRIPTS = tuple(dict.fromkeys(script for _, _, script in _RANGES))
# One private-use marker per script: ``translate`` maps every letter to its script's
# marker in C, then ``str.count`` tallies them.
_MARKER = {script: chr(0xE000 + i) for i, script in enumerate(_SCRIPTS)}
_TABLE = {code: _MARKER[script] for first, last, script in _RANGES if last < 0x10000
          for code in range(first, last + 1)}


# Per code point: the index of its script in ``_SCRIPTS``, ``len(_SCRIPTS)`` for "Other"
# letters and ``len(_SCRIPTS) + 1`` for the space (``script_counts_many``; built on first use).
@functools.cache
def _script_index() -> np.ndarray:
    table = np.full(0x110000, len(_SCRIPTS), dtype=np.int8)  # 1 MB: look-ups stay in cache
    for first, last, script in _RANGES:
        table[first:last + 1] = _SCRIPTS.index(script)
    table[ord(" ")] = len(_SCRIPTS) + 1
    return table


def script_counts_many(cleaned: Sequence[str]) -> list[dict[str, int]]:
    """``script_counts`` of many cleaned texts at once (one table look-up over all their letters)."""
    out: list[dict[str, int] | None] = [None] * len(cleaned)
    rest = []
    for i, text in enumerate(cleaned):
        if text.isascii():
            letters = len(text) - text.count(" ")
            out[i] = {"Latn": letters} if letters else {}
        else:
            rest.append(i)
    if rest:
        width = len(_SCRIPTS) + 2
        joined = "".join(cleaned[i] for i in rest)
        codes = _script_index()[np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)]
        owner = np.repeat(np.arange(len(rest), dtype=np.int64), [len(cleaned[i]) for i in rest])
        table = np.bincount(owner * width + codes, minlength=len(rest) * width).reshape(len(rest), width)
        names = _SCRIPTS + ("Other",)
        for i in rest:
            out[i] = {}
        found = table[:, :-1]
        row, col = np.nonzero(found)  # row by row, scripts in order: the dicts' order as before
        for r, k, n in zip(row.tolist(), col.tolist(), found[row, col].tolist()):
            out[rest[r]][names[k]] = n
    return out


def script_counts(cleaned: str) -> dict[str, int]:
    """Letters per script (ISO 15924, kana as ``Kana``, Han as ``Hani``) in cleaned text."""
    letters = len(cleaned) - cleaned.count(" ")
    if cleaned.isascii():
        return {"Latn": letters} if letters else {}
    marked = cleaned.translate(_TABLE)
    counts = {}
    for script, marker in _MARKER.items():
        n = marked.count(marker)
        if n:
            counts[script] = n
    rest = letters - sum(counts.values())
    if rest:  # supplementary-plane Han is Han; Greek, Hebrew, ... are "Other"
        han = sum(1 for ch in cleaned if 0x20000 <= ord(ch) <= 0x2FA1F)
        if han:
            counts["Hani"] = counts.get("Hani", 0) + han
        if rest - han:
            counts["Other"] = rest - han
    return counts


# Common characters whose simplified and traditional forms differ (written by us).
_HANS_ONLY = set(
    "们这说为时会来过对还个没发现么样经让爱剧员欢长问题觉得动东车马鸟鱼门开关间听读写"
    "书学习国语话认识谁难应该实际简单复杂边远进运选择场飞机电视脑网页剧集导报纸钱买卖贵"
    "恋与亲爱帅丽颜颗乐声响笔记单词汉戏头发脸惊喜欢迎们恶梦怀孕节戏剧终结级别统计组织结构"
    "两从众伙伤优传体体仅侧侨俩债倾偿储儿兑兰关兴兹养兽内册军农冲决况冻净减凑几凤処击"
    "刘则刚创删别刹剂剑剧劝办务动励劲劳势区医华协单卖卢卫却厂厅历厉压厌县参双变叙叶号"
    "叹吓吗启员呜咏哑响唤啰啸喷团园围图圆圣场坏块坚坛坝坟垄垦垫垒堕处备复够头夸夹夺奋"
    "奖妆妇妈娱婴孙宁宝实宠审宪宫宽宾对寻导寿将尔尘尝层属岁岂岗岛岭峡币帅师带帮帐幂干庆"
    "库应庙庞废开异弃张弥弯归当录彻径忆忧怀态怜总恋恳恶悬惊惧惨惩惯愤愿戏战户扑执扩扫扬"
    "扰抚抛抢护报担拟拢拥择挂挡挣挤挥损换据掷摄摆摇撑敌数斋斗断无旧时旷昙显晋晒晓暂术朴"
    "杀杂权杨极构枪柜标栈栋树样档桥梦检棂楼横欢欧歼残毁毕毙气汇汉汤沟没泪泽洁洒浅浊测济"
    "浏浑浓涂涛涨润涩渊渐渔湾湿溃满滚滞滤滥滨灭灯灵灾灿炉炼烂烟烦烧热焕爱爷牵犹狮独狱猎"
    "献环现珐电画畅疗疯疮皱盏盐监盖盘睁矫矿码砖础硕确碍礼祸离种积称稳穷窃窍竞笔笼筑简"
    "篮类粮紧纠红约级纪纯纲纳纵纷纸纹线练组细织终绍经结绕绘给络绝统继绩续维绵综绿缓编缘"
    "缩缴网罗罚罢羡习翘耸职联聪肃肠肤肿胀胁胜脉脏脑脚舰舱艰艺节芦苏苹范荐药获莱营萝"
    "蓝虑虚虽蚀蚁蛮补衬袭览觉视规览觉誉计订认讨让训议讯记讲许论设访证评识诉诊词译试诗"
    "诚话诞询该详语误说请诸诺读课谁调谈谊谋谓谜谢谨谱贝负贡财责贤败账货质贩贪贫购贯贵"
    "贷费贺资赋赌赏赔赖赚赛赞赠赢赵赶趋跃践踪车轨轮软轻载较辅辆辈辉输辞辩边达迁过迈运还"
    "这进远违连迟选递逻遗邮邻郑酱释里钟钢钱铁铜银销锁错锅键镜长门闪闭问闲间闷闹闻阁队阳"
    "阴阵阶际陆陈降险随隐难雾静页顶项顺须顾顿预领频颗题颜额风飘飞饥饭饮饰饱饼馆首驱驶驾"
    "验骂骑骗鲁鲜鸟鸡鸣鸭鸿鹅麦黄齐齿龙龟"
)
_HANT_ONLY = set(
    "們這說為時會來過對還個沒發現麼樣經讓愛劇員歡長問題覺得動東車馬鳥魚門開關間聽讀寫"
    "書學習國語話認識誰難應該實際簡單複雜邊遠進運選擇場飛機電視腦網頁導報紙錢買賣貴"
    "戀與親帥麗顏顆樂聲響筆記單詞漢戲頭髮臉驚喜歡迎惡夢懷節終結級別統計組織結構"
    "兩從眾夥傷優傳體僅側僑倆債傾償儲兒兌蘭興養獸內冊軍農衝決況凍淨減湊幾鳳處擊"
    "劉則剛創刪別劑劍勸辦務勵勁勞勢區醫華協單賣盧衛卻廠廳歷厲壓厭縣參雙變敘葉號"
    "嘆嚇嗎啟員嗚詠啞響喚囉嘯噴團園圍圖圓聖場壞塊堅壇壩墳壟墾墊壘墮處備復夠頭誇夾奪奮"
    "獎妝婦媽娛嬰孫寧寶實寵審憲宮寬賓對尋導壽將爾塵嘗層屬歲豈崗島嶺峽幣帥師帶幫帳"
    "慶庫應廟龐廢開異棄張彌彎歸當錄徹徑憶憂懷態憐總戀懇惡懸驚懼慘懲慣憤願戲戰戶撲執擴掃揚"
)
_HANS_ONLY, _HANT_ONLY = _HANS_ONLY - _HANT_ONLY - set("干几里処"), _HANT_ONLY - _HANS_ONLY


def han_script(cleaned: str) -> str:
    """``Hant`` when traditional-only characters outnumber simplified-only ones, else ``Hans``."""
    hans = sum(map(_HANS_ONLY.__contains__, cleaned))
    hant = sum(map(_HANT_ONLY.__contains__, cleaned))
    return "Hant" if hant > hans else "Hans"


@functools.cache
def _han_form() -> np.ndarray:
    """Per code point: 1 simplified-only, 2 traditional-only, else 0 (built on first use)."""
    table = np.zeros(0x110000, dtype=np.int8)
    table[[ord(ch) for ch in _HANS_ONLY]] = 1
    table[[ord(ch) for ch in _HANT_ONLY]] = 2
    return table


def han_script_many(cleaned: Sequence[str]) -> list[str]:
    """``han_script`` of many texts: one table look-up over all their characters."""
    if not cleaned:
        return []
    codes = np.frombuffer("".join(cleaned).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    owner = np.repeat(np.arange(len(cleaned), dtype=np.int64), [len(text) for text in cleaned])
    counts = np.bincount(owner * 3 + _han_form()[codes], minlength=3 * len(cleaned)).reshape(len(cleaned), 3)
    return ["Hant" if hant > hans else "Hans" for _, hans, hant in counts.tolist()]


# ---------------------------------------------------------------------- lexicon
# Words that carry no language: laughter and interjections typed alike in every
# Latin-script language. Language-specific laughter (wkwk, jaja, kkkk, 555) is not here.
# The stage calls a text of such words alone ``und``; the lexicon counts one it does not
# know as a known word with no evidence (it does not make the lexicon "lack" a word).
LANGUAGELESS = re.compile(
    r"(?:a?(?:ha|he|hi|ho)+h?|lo+l+|lmf?a+o+|rofl|xd+|ok(?:ay)?|omg+|wo+w+|h+m+|u+g+h+|y+a+y+|o+h+|a+h+|e+h+|u+h+|w+t+f+)"
)
_ELONGATED = re.compile(r"(\w)\1{2,}")


@functools.cache
def _malay_words() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(Malay-only words, casual Malay forms, Indonesian-only words) of ``malay_words.json``."""
    data = json.loads(MALAY_WORDS_PATH.read_text(encoding="utf-8"))
    return frozenset(data["ms"]), frozenset(data["ms_casual"]), frozenset(data["id"])


def is_malay(latin: str) -> bool:
    """True when a text already found Indonesian or Malay has Malay-specific words
    (``malay_words.json``): 2 points per Malay-only word ("nak", "tengok", "korang"), 1 per
    distinct casual form ("ni", "dah", "tak", "tu"), minus 2 per Indonesian-only word
    ("banget", "nggak", "aja"); 2 points or more. The two are written alike, so Indonesian
    stays the answer wherever these words do not settle it."""
    ms, casual, indonesian = _malay_words()
    words = latin.lower().split()
    points = 2 * sum(map(ms.__contains__, words)) + len(casual.intersection(words))
    return points - 2 * sum(map(indonesian.__contains__, words)) >= 2
# Letters that only a few configured languages write (written by us): an unknown word
# holding one counts as a word of those languages, at half a known word's full weight.
# The first listed letter found in a word decides, so the most telling come first.
_VI_ONLY = "ăơưđ" + "".join(chr(c) for c in range(0x1EA0, 0x1EFA))
LETTER_CUES = (
    (_VI_ONLY, ("vi",)), ("ß", ("de",)), ("ä", ("de",)), ("ñ", ("es",)), ("œ", ("fr",)),
    ("ığş", ("tr",)), ("ãõ", ("pt", "vi")), ("öü", ("de", "tr")), ("ç", ("fr", "pt", "tr")),
    ("îïûë", ("fr",)), ("èù", ("fr", "it", "vi")), ("ìò", ("it", "vi")),
)
# Word endings and beginnings that few configured languages use (written by us), tried
# before the letters on unknown words of 6+ letters: "aktingnya" is Indonesian/Malay.
AFFIX_CUES = (
    (("nya", "asi", "kan", "lah"), ("meng", "meny", "peng", "peny", "memper", "diper"), ("id", "ms")),  # -asi: "rekomendasi"
    ((), ("nakaka", "napaka", "pinaka", "nakapag", "makapag", "ipinag", "pinag", "pagka", "nagka", "magka",
          "mapag", "nag", "mag"), ("tl",)),
    (("ung", "ungen", "keit", "heit", "schaft", "lich", "isch", "ig"), (), ("de",)),  # "richtig", "typisch"
    (("ción", "ciones", "dad", "aron", "ieron"), (), ("es",)),  # "verdad", "besaron"
    (("ção", "ções", "ões", "ães", "ável", "ível", "áveis", "íveis", "inho", "inha", "inhos", "inhas",
      "aram", "eram", "iram"), (), ("pt",)),  # "incrível", "sozinho", "beijaram"
    (("zione", "zioni", "issimo", "issima", "ezza", "ezze", "ggio", "ggi", "iamo"), (), ("it",)),  # "tristezza"
    (("euse", "eux", "aient", "eau", "eaux", "oir", "oire", "oires"), (), ("fr",)),  # "nouveau", "histoire"
    (("ais",), (), ("pt", "fr")),  # "principais", "anglais"
)


def _strip_accents(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word.replace("đ", "d"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _words_many(texts: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """(the lower-cased words of all texts, in order; words per text). Cleaned texts are
    single-spaced: the texts joined by spaces are lowered and split once, and a text's
    words are its spaces plus one. Unless the joined text shows that each text is
    non-empty words parted by single spaces (printable: no other whitespace; no run of
    spaces, none at either end), each text is split alone."""
    joined = " ".join(texts).lower()  # as lowering each: a space ends a final sigma too
    words = joined.split()
    if (joined.isprintable() and "  " not in joined and joined[:1] != " " and joined[-1:] != " "
            and len(words) == joined.count(" ") + 1):
        return words, np.fromiter((text.count(" ") + 1 for text in texts), dtype=np.intp, count=len(texts))
    per_text = [text.lower().split() for text in texts]
    return [w for ws in per_text for w in ws], np.fromiter(map(len, per_text), dtype=np.intp, count=len(texts))


class Lexicon:
    """Per-word language evidence: centered, clipped log-likelihoods from ``lexicon.npz``.

    ``scores[row, j]`` is the evidence that a word is in ``languages[j]``; columns for
    configured languages the lexicon was not trained on are 0 (no evidence), and ``ms``
    shares ``id``'s column (the two are written alike). The hand-written words of
    ``extra_words.json`` (function words and drama-comment words per language) add to
    that. Unknown words are retried without diacritics (at ``UNACCENTED_WEIGHT``), with
    letter runs shortened ("soooo"), and last by ``AFFIX_CUES`` and ``LETTER_CUES`` (an
    unknown "aktingnya" is Indonesian/Malay evidence, one with "ß" German), at half a known
    word's full weight.
    """

    def __init__(self, path: Path | str, languages: Sequence[str], clip: float | None = None) -> None:
        try:
            with np.load(path, allow_pickle=False) as data:
                words = data["words"].tolist()
                loglik = data["loglik"].astype(np.float32)
                trained = data["langs"].tolist()
                meta = {k: float(data[k]) for k in ("clip", "weight", "margin") if k in data.files}
        except (OSError, KeyError, ValueError) as exc:
            raise ModelError(f"Cannot read the language lexicon {path}: {exc}. Reinstall the package or rerun training/langid/train.py.") from exc
        self.weight = meta.get("weight", 2.0)
        self.margin = meta.get("margin", 2.0)
        clip = meta.get("clip", 4.0) if clip is None else clip
        centered = np.clip(loglik - loglik.mean(axis=1, keepdims=True), -clip, clip)
        self.scores = np.zeros((len(words) + 1, len(languages)), dtype=np.float32)  # last row: unknown word
        for j, lang in enumerate(languages):
            src = "id" if lang == "ms" and "ms" not in trained else lang
            if src in trained:
                self.scores[:-1, j] = centered[:, trained.index(src)]
        self._add_extra_words(words, languages, clip)
        self._add_letter_cues(len(words), languages, clip)
        self.scores = np.vstack([self.scores[:-1], np.zeros((1, len(languages)), dtype=np.float32), self.scores[-1:]])
        self.index = {w: i for i, w in enumerate(words)}
        self._memo: dict[str, int] = dict(self.index)  # word -> row or -1, with the fallbacks' answers
        self.unknown = len(self.scores) - 1
        self.languageless = self.unknown - 1  # a known word without evidence (``LANGUAGELESS``)
        # a word found only once its accents are stripped ("notícias" as "noticias") speaks at
        # half weight: the accent it was written with is a language's own spelling too
        self._unaccented = len(self.scores)
        self.scores = np.vstack([self.scores, self.scores[:len(words)] * UNACCENTED_WEIGHT])
        top = np.sort(self.scores, axis=1)
        clear = np.where(top[:, -1] - top[:, -2] >= self.margin, self.scores.argmax(axis=1), -1)
        # per row: the language a word clearly belongs to, or -1; and -1 at [-1] (an unknown word's row)
        self.clear_langs = np.append(clear, -1).astype(np.intp)

    def _add_extra_words(self, words: list[str], languages: Sequence[str], clip: float) -> None:
        """Hand-written words for configured languages without training text (``extra_words.json``)."""
        extra = json.loads(EXTRA_WORDS_PATH.read_text(encoding="utf-8"))
        index = {w: i for i, w in enumerate(words)}
        first_new = len(words)
        new_rows: list[np.ndarray] = []
        for lang, listed in extra.items():
            if lang not in languages:
                continue
            j = list(languages).index(lang)
            for word in listed:
                if word not in index:
                    index[word] = len(words)
                    words.append(word)
                    new_rows.append(np.zeros(len(languages), dtype=np.float32))
                if index[word] >= first_new:  # listed only (maybe by several languages): full evidence for each
                    new_rows[index[word] - first_new][j] = clip
                else:  # shared with a trained language: tie with its best one
                    self.scores[index[word], j] = self.scores[index[word]].max()
        if new_rows:
            self.scores = np.vstack([self.scores[:-1], np.array(new_rows), self.scores[-1:]])

    def _add_letter_cues(self, first_row: int, languages: Sequence[str], clip: float) -> None:
        """One evidence row per ``AFFIX_CUES`` and ``LETTER_CUES`` entry (after the words, before 'unknown')."""
        self.letter_row: dict[str, int] = {}
        self.affix_rows: list[tuple[tuple[str, ...], tuple[str, ...], int]] = []
        new_rows = []
        cues = [(None, ends, starts, langs) for ends, starts, langs in AFFIX_CUES]
        cues += [(letters, (), (), langs) for letters, langs in LETTER_CUES]
        for letters, ends, starts, langs in cues:
            row = np.array([clip / 2 if lang in langs else 0.0 for lang in languages], dtype=np.float32)
            if not row.any():
                continue
            if letters is None:
                self.affix_rows.append((ends, starts, first_row + len(new_rows)))
            for ch in letters or ():
                self.letter_row[ch] = first_row + len(new_rows)
            new_rows.append(row)
        self._any_end = tuple(end for ends, _, _ in self.affix_rows for end in ends)  # one test before the loop
        self._any_start = tuple(start for _, starts, _ in self.affix_rows for start in starts)
        if new_rows:
            self.scores = np.vstack([self.scores[:-1], np.array(new_rows), self.scores[-1:]])

    def _letter_cue(self, word: str) -> int | None:
        if len(word) >= 6 and (word.endswith(self._any_end) or word.startswith(self._any_start)):
            for ends, starts, row in self.affix_rows:
                if word.endswith(ends) or word.startswith(starts):
                    return row
        if word.isascii():
            return None
        for ch in word:
            row = self.letter_row.get(ch)
            if row is not None:
                return row
        return None

    def rows_many(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(row of every word of the cleaned texts, -1 where unknown; words per text)."""
        words, n_words = _words_many(texts)
        memo = self._memo
        rows = list(map(memo.get, words))
        i = -1
        try:
            while True:  # the words not remembered yet, found by list.index (a scan in C)
                i = rows.index(None, i + 1)
                rows[i] = row = self._lookup(words[i])
                if len(memo) < MEMO_WORDS:
                    memo[words[i]] = row
        except ValueError:
            pass
        return np.asarray(rows, dtype=np.intp), n_words

    def rows(self, cleaned: str) -> list[int]:
        """Lexicon rows of the known words of a cleaned text (accent-stripped as a fallback)."""
        rows, _ = self.rows_many([cleaned])
        return rows[rows >= 0].tolist()

    def _lookup(self, word: str) -> int:
        """A word's row: as written, without diacritics, with letter runs shortened, by its
        affixes or letters; -1 when nothing is known."""
        index = self.index
        row = index.get(word)
        if row is None and not word.isascii():
            row = index.get(_strip_accents(word))
            if row is not None:
                row += self._unaccented
        if row is None and _ELONGATED.search(word):  # "soooo" -> "soo" -> "so"
            row = index.get(_ELONGATED.sub(r"\1\1", word))
            if row is None:
                row = index.get(_ELONGATED.sub(r"\1", word))
        if row is None:
            row = self._letter_cue(word)
        if row is None and LANGUAGELESS.fullmatch(word):
            row = self.languageless
        return -1 if row is None else row


# ------------------------------------------------------------------- py3langid
def _softmax(x: np.ndarray) -> np.ndarray:
    """Row softmax whose sums run column by column, so a row's result never depends
    on how many rows share the batch (numpy's ``sum(axis=1)`` order does)."""
    x = x - x.max(axis=1, keepdims=True)
    np.exp(x, out=x)
    total = x[:, 0].copy()
    for j in range(1, x.shape[1]):
        total += x[:, j]
    x /= total[:, None]
    return x


def _check_languages(owner: str, languages) -> tuple[str, ...]:
    langs = tuple(languages)
    ok = bool(langs) and all(isinstance(x, str) and x for x in langs) and len(set(langs)) == len(langs)
    if not ok:
        raise ConfigError(f"The 'languages' parameter of {owner} must be a non-empty list of distinct ISO 639-1 codes. Got {languages!r} instead.")
    return langs


@functools.cache
def _load_py3langid():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


_EARLY: list[threading.Thread] = []  # the thread of ``load_model_early``, until it is waited for


def load_model_early() -> None:
    """Start loading py3langid's model on a thread: most of its ~0.8 CPU-s is the LZMA
    decompression of its file, which runs without the GIL, so on a second core it overlaps with
    what the process does before the langid stage is built (imports, the other stages' models)
    instead of adding to a start-up that runs on one core. The model is the same object
    ``_py3langid_model`` would load; a failure there is left for that call to raise."""
    if _EARLY or _load_py3langid.cache_info().currsize:
        return

    def load() -> None:
        try:
            _load_py3langid()
        except BaseException:  # noqa: BLE001 - _py3langid_model loads it again and reports the error
            pass

    thread = threading.Thread(target=load, name="py3langid-model", daemon=True)
    _EARLY.append(thread)
    thread.start()


def _py3langid_model():
    """py3langid's full model, loaded once per process and only read afterwards (by the
    ``load_model_early`` thread when one was started: waited for here, never loaded twice)."""
    while _EARLY:
        _EARLY.pop().join()
    return _load_py3langid()


def release_model() -> None:
    """Forget the loaded py3langid model (~70 MB) in a process that no longer identifies
    languages (its stage moved to worker processes); a backend built later loads it again."""
    while _EARLY:
        _EARLY.pop().join()
    _load_py3langid.cache_clear()


@register("langid.py3langid.v1")
class Py3LangidBackend:
    """py3langid 0.4.0 restricted to ``languages`` plus our word lexicon (``lexicon=None`` turns it off).

    Scores are py3langid's ``norm_probs`` log-probabilities plus ``weight`` times the
    summed word evidence divided by the square root of the number of known words
    (py3langid's own scores are scaled by the root of the text's length, so neither
    side drowns the other as texts grow) and weighted by the share of the text's words
    the lexicon knows, softmaxed. Where py3langid alone is at least ``PY3_SURE`` sure and
    the lexicon does not know every word, py3langid's answer stands (an unsure lexicon
    never overrules a sure base) and the confidence is no higher than py3langid's for the
    named language. A text's ``mixed`` lists the main language and a second one when at
    least two (and ``MIXED_SHARE``) of its known words clearly
    belong to that one (lexicon margin >= ``margin``).
    """

    name = "langid.py3langid.v1"
    summary = "script rules + py3langid 0.4.0 restricted to 18 languages + a word lexicon"
    version = "1"
    uses_hints = False  # a text's answer does not depend on its hint (the stage classifies each text once)

    def __init__(self, *, languages: Sequence[str] = DEFAULT_LANGUAGES, lexicon: str | Path | None = LEXICON_PATH,
                 weight: float | None = None) -> None:
        self.languages = _check_languages("Py3LangidBackend", languages)
        ident = _py3langid_model()
        unknown = [x for x in self.languages if x not in ident.nb_classes]
        if unknown:
            raise ConfigError(f"The 'languages' parameter of Py3LangidBackend must only name languages py3langid knows. Got {unknown!r} instead.")
        cols = [ident.nb_classes.index(x) for x in self.languages]
        self._ptc = np.ascontiguousarray(np.asarray(ident.nb_ptc, dtype=np.float32)[:, cols])
        self._pc = np.asarray(ident.nb_pc, dtype=np.float32)[cols]
        # numpy views on py3langid's own arrays (no copy of the 10M-entry transition table)
        self._nm = np.frombuffer(ident.tk_nextmove, dtype=f"u{ident.tk_nextmove.itemsize}")
        self._rowbase = np.frombuffer(ident.tk_row, dtype=f"u{ident.tk_row.itemsize}").astype(np.int64) << 8
        self._out = np.asarray(ident.tk_output, dtype=np.int32)
        self.lexicon = Lexicon(lexicon, self.languages) if lexicon is not None else None
        both = "id" in self.languages and "ms" in self.languages
        self._id_ms = (self.languages.index("id"), self.languages.index("ms")) if both else None
        self.weight = (self.lexicon.weight if self.lexicon else 0.0) if weight is None else float(weight)

    def _walk(self, datas: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
        """py3langid's DFA over every text at once: (text index, feature) per emitted feature.

        Each text is cut into pieces of ``_PIECE`` bytes; a piece's walk starts from the
        automaton's root ``_OVERLAP`` bytes before the piece (or at its text's start), which
        puts it in the very state the whole-text walk has there (a state stands for at most
        the last 6 bytes read), and keeps only what it emits inside the piece. All pieces
        then step together, one byte position per numpy step, ``_OVERLAP + _PIECE`` steps.
        """
        lens = np.fromiter(map(len, datas), dtype=np.int64, count=len(datas))
        text_start = np.concatenate(([0], np.cumsum(lens)[:-1])).astype(np.int64)
        pieces = (lens + _PIECE - 1) // _PIECE
        piece_text = np.repeat(np.arange(len(datas), dtype=np.int64), pieces)
        first_piece = np.concatenate(([0], np.cumsum(pieces)[:-1])).astype(np.int64)
        begin = text_start[piece_text] + (np.arange(len(piece_text)) - first_piece[piece_text]) * _PIECE
        end = np.minimum(begin + _PIECE, (text_start + lens)[piece_text])
        walk_from = np.maximum(begin - _OVERLAP, text_start[piece_text])
        width = _OVERLAP + _PIECE
        pos = walk_from[None, :] + np.arange(width, dtype=np.int64)[:, None]  # (step, piece)
        buf = np.frombuffer(b"".join(datas) + b"\0", dtype=np.uint8)
        byte_at = buf[np.minimum(pos, len(buf) - 1)].astype(np.int64)
        nm, rowbase, out = self._nm, self._rowbase, self._out
        emitted = np.empty(pos.shape, dtype=np.int32)
        states = np.zeros(len(piece_text), dtype=np.int64)
        for k in range(width):
            states = nm[rowbase[states] + byte_at[k]]
            emitted[k] = out[states]
        step, piece = np.nonzero((emitted >= 0) & (pos >= begin[None, :]) & (pos < end[None, :]))
        return piece_text[piece], emitted[step, piece].astype(np.int64)

    def _distinct_features(self, datas: list[bytes], compiled: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(text, feature, occurrences) of each distinct py3langid feature of each text, by text
        then feature (int64 arrays); ``compiled``: by the C kernel where it is built (the same
        arrays as ``_walk`` and the sort below)."""
        if compiled and _hashed is not None and self._nm.itemsize == 4:
            starts = np.zeros(len(datas) + 1, dtype=np.int64)
            np.cumsum(np.fromiter(map(len, datas), dtype=np.int64, count=len(datas)), out=starts[1:])
            text_of, feats, counts = (np.empty(int(starts[-1]), dtype=np.int64) for _ in range(3))
            n = _hashed.dfa_features(self._nm, self._rowbase, self._out, b"".join(datas), starts, text_of, feats, counts)
            return text_of[:n], feats[:n], counts[:n]
        text_idx, feat = self._walk(datas)
        n_feats = self._ptc.shape[0]
        keys = text_idx * n_feats + feat
        keys.sort()  # grouped by text, then by feature
        first = np.empty(len(keys), dtype=bool)
        first[:1] = True
        np.not_equal(keys[1:], keys[:-1], out=first[1:])
        starts = np.flatnonzero(first)
        counts = np.diff(np.append(starts, len(keys)))  # of each distinct (text, feature)
        keys = keys[starts]
        text_of = keys // n_feats
        return text_of, keys - text_of * n_feats, counts

    def _py3_logprobs(self, texts: Sequence[str]) -> np.ndarray:
        """(n, L) log-probabilities on py3langid's norm_probs scale, one sparse product per batch."""
        datas = [(t.lower() if t.isupper() else t).encode("utf-8", errors="surrogatepass") for t in texts]
        text_of, feats, counts = self._distinct_features(datas)
        raw = np.zeros((len(texts), len(self.languages)), dtype=np.float32)
        if len(feats):
            firsts = np.flatnonzero(np.r_[True, text_of[1:] != text_of[:-1]])
            weighted = np.take(self._ptc, feats, axis=0)
            weighted *= np.log1p(counts.astype(np.float32))[:, None]
            raw[text_of[firsts]] = np.add.reduceat(weighted, firsts, axis=0) + self._pc  # in feature order per text
        # featureless rows stay 0: uniform, as py3langid does under norm_probs
        scale = np.array([1.0 / math.sqrt(len(d) or 1) for d in datas], dtype=np.float32)
        probs = _softmax(raw * scale[:, None])
        return np.log(np.maximum(probs, 1e-12))

    def _word_evidence(self, texts: Sequence[str]) -> tuple[np.ndarray, tuple[np.ndarray, ...], np.ndarray]:
        """(summed word evidence x sqrt(known words) / words, (every word's lexicon row or -1,
        words per text, known words per text) for ``_mixed_many``, known minus all words per text).

        The sum over the known words is divided by the root of their number (the scale of
        py3langid's own scores) and weighted by the share of the text's words the lexicon
        knows: a lexicon that knows one word of four speaks a quarter as loud as one that
        knows them all."""
        rows, n_words = self.lexicon.rows_many(texts)
        known_word = rows >= 0
        scores = self.lexicon.scores[np.where(known_word, rows, self.lexicon.unknown)]  # unknown: a row of zeros
        ends = np.cumsum(n_words)
        starts = ends - n_words
        sums = np.zeros((len(texts), scores.shape[1]), dtype=np.float32)
        known = np.zeros(len(texts), dtype=np.intp)
        some = np.flatnonzero(n_words)
        if len(some):
            sums[some] = np.add.reduceat(scores, starts[some], axis=0)
            known[some] = np.add.reduceat(known_word, starts[some])
        sums[known == 0] = 0.0
        known_f = known.astype(np.float32)
        scale = np.sqrt(known_f) / np.maximum(n_words, 1).astype(np.float32)  # = (1 / sqrt(known)) x (known / words)
        return sums * scale[:, None], (rows, n_words, known), known - n_words

    def _argmax(self, probs: np.ndarray) -> np.ndarray:
        """Best language per row; Indonesian and Malay compete as one (their summed
        probability), then the likelier of the two is named (the stage merges them or
        lets the region hint choose: ``resolve_id_ms``)."""
        if self._id_ms is None:
            return probs.argmax(axis=1)
        i, m = self._id_ms
        joined = probs.copy()
        joined[:, i] += probs[:, m]
        joined[:, m] = -1.0
        best = joined.argmax(axis=1)
        return np.where((best == i) & (probs[:, m] > probs[:, i]), m, best)

    def _grouped(self, probs: np.ndarray, best: np.ndarray) -> np.ndarray:
        """Probability of each row's best language, Indonesian and Malay summed."""
        out = probs[np.arange(len(best)), best]
        if self._id_ms is not None:
            i, m = self._id_ms
            out = np.where((best == i) | (best == m), probs[:, i] + probs[:, m], out)
        return out

    def _mixed_many(self, best: np.ndarray, words: tuple[np.ndarray, ...]) -> list[tuple[str, ...]]:
        """Per text: (main, second language) when at least two (and ``MIXED_SHARE``) of its
        known words, 3 or more, clearly belong to one other language (the most voted, the
        first configured on a tie), else (). ``words``: ``_word_evidence``'s rows and counts."""
        rows, n_words, known = words
        n, width = len(best), len(self.languages)
        owner = np.repeat(np.arange(n, dtype=np.intp), n_words)
        clear = self.lexicon.clear_langs[rows]  # unknown words (-1) get the last entry: -1
        vote = (clear >= 0) & (clear != best[owner]) & (known[owner] >= 3)
        votes = np.bincount(owner[vote] * width + clear[vote], minlength=n * width).reshape(n, width)
        second = votes.argmax(axis=1)
        top = votes[np.arange(n), second]
        chosen = (top >= 2) & (top >= MIXED_SHARE * known)
        out: list[tuple[str, ...]] = [()] * n
        for i in np.flatnonzero(chosen).tolist():
            out[i] = (self.languages[best[i]], self.languages[second[i]])
        return out

    def predict(self, texts: Sequence[str], hints: Sequence[str | None] | None = None) -> list[LangPrediction]:
        """Texts should be cleaned (``clean_for_langid``) Latin-script letters; empty -> ``und``."""
        texts = list(texts)
        if not texts:
            return []
        py3 = self._py3_logprobs(texts)
        words = None
        lacking = np.zeros(len(texts), dtype=bool)
        logp = py3
        if self.lexicon is not None and self.weight:
            evidence, words, missing = self._word_evidence(texts)
            lacking = missing < 0
            logp = py3 + self.weight * evidence
        probs = _softmax(logp)
        best = self._argmax(probs)
        if self.lexicon is not None and self.weight:  # a sure base is not overruled by a lexicon that lacks words
            py3_probs = np.exp(py3)
            py3_best = self._argmax(py3_probs)
            sure = self._grouped(py3_probs, py3_best) >= PY3_SURE
            lacking = lacking | (words[2] <= THIN_KNOWN)  # thin evidence: few known words
            best = np.where(lacking & sure, py3_best, best)
        confidences = probs[np.arange(len(texts)), best]  # the named language's own probability
        if self.lexicon is not None and self.weight:
            # nor made surer than the base by it: beside another script the stage lets the
            # Latin words decide only when sure (UNSURE_LATIN), so unknown brand names that
            # one known word pulls toward some language keep the other script's answer
            confidences = np.where(lacking, np.minimum(confidences, self._grouped(py3_probs, best)), confidences)
        mixed = self._mixed_many(best, words) if words is not None else [()] * len(texts)
        out = []
        for text, j, confidence, both in zip(texts, best.tolist(), confidences.tolist(), mixed):
            if not text or text.isspace():
                out.append(LangPrediction("und", 0.0, (), None))
                continue
            out.append(LangPrediction(self.languages[j], round(confidence, 4), both, "Latn"))
        return out


# ------------------------------------------------------------- optional backends
def _import_optional(module: str, package: str):
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependency(f"The {package} language-ID backend needs an optional package: pip install {package}") from exc


@register("langid.lingua.v1")
class LinguaBackend:
    """lingua-language-detector restricted to ``languages`` (imported when built)."""

    name = "langid.lingua.v1"
    summary = "lingua-language-detector (extra); slower, for comparison"
    version = "1"
    uses_hints = False

    def __init__(self, *, languages: Sequence[str] = DEFAULT_LANGUAGES, low_accuracy: bool = False) -> None:
        lingua = _import_optional("lingua", "lingua-language-detector")
        self.languages = _check_languages("LinguaBackend", languages)
        by_code = {lang.iso_code_639_1.name.lower(): lang for lang in lingua.Language.all()}
        missing = [x for x in self.languages if x not in by_code]
        if missing:
            raise ConfigError(f"The 'languages' parameter of LinguaBackend must only name languages lingua knows. Got {missing!r} instead.")
        builder = lingua.LanguageDetectorBuilder.from_languages(*(by_code[x] for x in self.languages))
        self._detector = (builder.with_low_accuracy_mode() if low_accuracy else builder).build()

    def predict(self, texts: Sequence[str], hints: Sequence[str | None] | None = None) -> list[LangPrediction]:
        out = []
        for text in texts:
            values = self._detector.compute_language_confidence_values(text) if text.strip() else []
            if not values:
                out.append(LangPrediction("und", 0.0, (), None))
                continue
            top = values[0]
            out.append(LangPrediction(top.language.iso_code_639_1.name.lower(), round(float(top.value), 4), (), None))
        return out


@register("langid.langdetect.v1")
class LangdetectBackend:
    """langdetect (seeded with ``seed`` so it is deterministic); codes outside ``languages`` -> ``und``."""

    name = "langid.langdetect.v1"
    summary = "langdetect (extra); for comparison only"
    version = "1"
    uses_hints = False

    def __init__(self, *, languages: Sequence[str] = DEFAULT_LANGUAGES, seed: int = 0) -> None:
        self._langdetect = _import_optional("langdetect", "langdetect")
        self.languages = _check_languages("LangdetectBackend", languages)
        self.seed = seed

    def predict(self, texts: Sequence[str], hints: Sequence[str | None] | None = None) -> list[LangPrediction]:
        ld = self._langdetect
        out = []
        for text in texts:
            ld.DetectorFactory.seed = self.seed
            try:
                top = ld.detect_langs(text)[0] if text.strip() else None
            except ld.LangDetectException:
                top = None
            code = top.lang.split("-")[0] if top else "und"
            if code not in self.languages:
                out.append(LangPrediction("und", 0.0, (), None))
            else:
                out.append(LangPrediction(code, round(float(top.prob), 4), (), None))
        return out
