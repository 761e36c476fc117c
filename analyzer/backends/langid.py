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
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import ConfigError, MissingDependency, ModelError
from ..registry import register
from .base import LangPrediction

DEFAULT_LANGUAGES = (
    "en", "zh", "ja", "ko", "vi", "th", "id", "ms", "tl", "es", "pt", "fr", "de", "it",
    "ru", "ar", "hi", "tr",
)
_VECTOR_MIN_ACTIVE = 64  # below this many running texts the DFA walk goes back to a Python loop
PY3_SURE = 0.95  # py3langid this sure keeps its answer where the lexicon lacks a word (chosen on dev)
MIXED_SHARE = 0.15  # share of a text's known words a second language needs to be reported
LEXICON_PATH = Path(__file__).resolve().parent.parent / "_models" / "langid" / "lexicon.npz"
EXTRA_WORDS_PATH = LEXICON_PATH.with_name("extra_words.json")

# ---------------------------------------------------------------------- cleaning
_URL = re.compile(r"(?:https?://|www\.)\S+|\b[\w.-]+\.(?:com|net|org|co|ly|be|io|tv|me)(?:/\S*)?\b|\bhttps?\b", re.IGNORECASE)
_TLD = re.compile(r"\.(?:com|net|org|co|ly|be|io|tv|me)\b")  # cheap test on lower-cased text
_MASK = re.compile(r"\[(?:username|user|url|link|email|number|num)\]|<(?:url|user|mention|email|number)>", re.IGNORECASE)
_UPPER_MASK = re.compile(r"\bRT\b|\bUSER(?:_[A-Z]+)?\b|&(?:[a-z]+|#\d+);")  # retweets, USER masks, entities
_MENTION = re.compile(r"@[\w.]+")
# Astral code points that are not Han (emoji, pictographs, symbols) become spaces.
_ASTRAL = re.compile("[\U00010000-\U0001FFFF\U00030000-\U0010FFFF]")


@functools.cache
def _non_letter_table() -> dict[int, str]:
    """BMP code points that are neither letters nor combining marks -> space (built on first use)."""
    keep = ("L", "M")
    return {c: " " for c in range(0x10000) if unicodedata.category(chr(c))[0] not in keep}


def clean_for_langid(text: str) -> str:
    """Letters only: URLs, masks, mentions, emoji, digits and punctuation become spaces.

    Hashtag words are kept without their ``#``; combining marks (Thai vowels,
    Devanagari matras) stay with their letters; the result is NFC, single-spaced.
    """
    text = unicodedata.normalize("NFC", text)
    low = text.lower()  # each pattern runs only where its cheap substring test passes
    if "http" in low or "www." in low or _TLD.search(low):
        text = _URL.sub(" ", text)
    if "[" in text or "<" in text:
        text = _MASK.sub(" ", text)
    if "RT" in text or "USER" in text or "&" in text:
        text = _UPPER_MASK.sub(" ", text)
    if "@" in text:
        text = _MENTION.sub(" ", text)
    text = text.translate(_non_letter_table())
    if not text.isascii():
        text = _ASTRAL.sub(" ", text)
    return " ".join(text.split())


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


# ---------------------------------------------------------------------- lexicon
_ELONGATED = re.compile(r"(\w)\1{2,}")
# Letters that only a few configured languages write (written by us): an unknown word
# holding one counts as a word of those languages, at half a known word's full weight.
# The first listed letter found in a word decides, so the most telling come first.
_VI_ONLY = "ăơưđ" + "".join(chr(c) for c in range(0x1EA0, 0x1EFA))
LETTER_CUES = (
    (_VI_ONLY, ("vi",)), ("ß", ("de",)), ("ä", ("de",)), ("ñ", ("es",)), ("œ", ("fr",)),
    ("ığş", ("tr",)), ("ãõ", ("pt", "vi")), ("öü", ("de", "tr")), ("ç", ("fr", "pt", "tr")),
)
# Word endings and beginnings that few configured languages use (written by us), tried
# before the letters on unknown words of 6+ letters: "aktingnya" is Indonesian/Malay.
AFFIX_CUES = (
    (("nya", "asi"), (), ("id", "ms")),  # -asi: "rekomendasi", "informasi" (es/pt/it write -ación/-ação/-azione)
    ((), ("nakaka", "napaka", "pinaka", "nag", "mag"), ("tl",)),
    (("ung", "keit", "heit", "schaft", "lich"), (), ("de",)),
    (("ción", "ciones"), (), ("es",)),
    (("ção", "ções"), (), ("pt",)),
    (("zione", "zioni", "issimo", "issima"), (), ("it",)),
    (("euse", "eux", "aient"), (), ("fr",)),
)


def _strip_accents(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word.replace("đ", "d"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


class Lexicon:
    """Per-word language evidence: centered, clipped log-likelihoods from ``lexicon.npz``.

    ``scores[row, j]`` is the evidence that a word is in ``languages[j]``; columns for
    configured languages the lexicon was not trained on are 0 (no evidence), and ``ms``
    shares ``id``'s column (the two are written alike). The hand-written words of
    ``extra_words.json`` (function words and drama-comment words per language) add to
    that. Unknown words are retried without diacritics, with letter runs shortened
    ("soooo"), and last by ``AFFIX_CUES`` and ``LETTER_CUES`` (an unknown "aktingnya" is
    Indonesian/Malay evidence, one with "ß" German), at half a known word's full weight.
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
        self.index = {w: i for i, w in enumerate(words)}
        self.unknown = len(self.scores) - 1
        top = np.sort(self.scores, axis=1)
        clear = np.where(top[:, -1] - top[:, -2] >= self.margin, self.scores.argmax(axis=1), -1)
        self.clear_lang: list[int] = clear.tolist()  # per row: the language a word clearly belongs to, or -1

    def _add_extra_words(self, words: list[str], languages: Sequence[str], clip: float) -> None:
        """Hand-written words for configured languages without training text (``extra_words.json``)."""
        extra = json.loads(EXTRA_WORDS_PATH.read_text(encoding="utf-8"))
        index = {w: i for i, w in enumerate(words)}
        new_rows = []
        for lang, listed in extra.items():
            if lang not in languages:
                continue
            j = list(languages).index(lang)
            for word in listed:
                if word in index:  # shared with a trained language: tie with its best one
                    self.scores[index[word], j] = self.scores[index[word]].max()
                else:
                    index[word] = len(words)
                    words.append(word)
                    row = np.zeros(len(languages), dtype=np.float32)
                    row[j] = clip
                    new_rows.append(row)
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
        if new_rows:
            self.scores = np.vstack([self.scores[:-1], np.array(new_rows), self.scores[-1:]])

    def _letter_cue(self, word: str) -> int | None:
        if len(word) >= 6:
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

    def rows(self, cleaned: str) -> list[int]:
        """Lexicon rows of the known words of a cleaned text (accent-stripped as a fallback)."""
        index, out = self.index, []
        for word in cleaned.lower().split():
            row = index.get(word)
            if row is None and not word.isascii():
                row = index.get(_strip_accents(word))
            if row is None and _ELONGATED.search(word):  # "soooo" -> "soo" -> "so"
                row = index.get(_ELONGATED.sub(r"\1\1", word))
                if row is None:
                    row = index.get(_ELONGATED.sub(r"\1", word))
            if row is None:
                row = self._letter_cue(word)
            if row is not None:
                out.append(row)
        return out


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
def _py3langid_model():
    """py3langid's full model, loaded once per process and only read afterwards."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


@register("langid.py3langid.v1")
class Py3LangidBackend:
    """py3langid 0.4.0 restricted to ``languages`` plus our word lexicon (``lexicon=None`` turns it off).

    Scores are py3langid's ``norm_probs`` log-probabilities plus ``weight`` times the
    summed word evidence divided by the square root of the number of known words
    (py3langid's own scores are scaled by the root of the text's length, so neither
    side drowns the other as texts grow), softmaxed; where py3langid alone is at least
    ``PY3_SURE`` sure and the lexicon does not know every word, py3langid's answer stands
    (an unsure lexicon never overrules a sure base); a text's ``mixed`` lists the main language
    and a second one when at least two (and ``MIXED_SHARE``) of its known words clearly
    belong to that one (lexicon margin >= ``margin``).
    """

    name = "langid.py3langid.v1"
    summary = "script rules + py3langid 0.4.0 restricted to 18 languages + a word lexicon"
    version = "1"

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
        self._walk_lists = (ident.tk_nextmove, [r << 8 for r in ident.tk_row], ident.tk_output)
        self.lexicon = Lexicon(lexicon, self.languages) if lexicon is not None else None
        self.weight = (self.lexicon.weight if self.lexicon else 0.0) if weight is None else float(weight)

    def _walk(self, datas: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
        """py3langid's DFA over every text at once: (text index, feature) per emitted feature.

        Texts are sorted by length and stepped one byte position at a time with numpy;
        when few texts are still running, the rest finish in py3langid's own loop.
        """
        nm, rowbase, out = self._nm, self._rowbase, self._out
        order = sorted(range(len(datas)), key=lambda i: -len(datas[i]))
        lens = np.array([len(datas[i]) for i in order], dtype=np.int64)
        starts = np.concatenate(([0], np.cumsum(lens)[:-1])).astype(np.int64)
        buf = np.frombuffer(b"".join(datas[i] for i in order), dtype=np.uint8)
        states = np.zeros(len(datas), dtype=np.int64)
        texts, feats = [], []
        running = np.searchsorted(-lens, -np.arange(int(lens[0]) + 1 if len(lens) else 1), side="left")  # lens > k
        k, active = 0, int(running[0])
        while active >= _VECTOR_MIN_ACTIVE:
            s = nm[rowbase[states[:active]] + buf[starts[:active] + k]]
            states[:active] = s
            f = out[s]
            hit = np.flatnonzero(f >= 0)
            texts.append(hit)
            feats.append(f[hit])
            k += 1
            active = int(running[k])
        tail_texts, tail_feats = [], []
        nm_l, rowbase_l, out_l = self._walk_lists
        for pos in range(active):  # the few long texts left: plain loop from where they are
            state = int(states[pos])
            for byte in datas[order[pos]][k:]:
                state = nm_l[rowbase_l[state] + byte]
                f = out_l[state]
                if f >= 0:
                    tail_texts.append(pos)
                    tail_feats.append(f)
        pos_all = np.concatenate(texts + [np.asarray(tail_texts, dtype=np.int64)]).astype(np.int64)
        feat_all = np.concatenate(feats + [np.asarray(tail_feats, dtype=np.int64)]).astype(np.int64)
        return np.asarray(order, dtype=np.int64)[pos_all], feat_all

    def _py3_logprobs(self, texts: Sequence[str]) -> np.ndarray:
        """(n, L) log-probabilities on py3langid's norm_probs scale, one sparse product per batch."""
        datas = [(t.lower() if t.isupper() else t).encode("utf-8", errors="surrogatepass") for t in texts]
        text_idx, feat = self._walk(datas)
        n_feats = self._ptc.shape[0]
        keys, counts = np.unique(text_idx * n_feats + feat, return_counts=True)  # sorted: grouped by text
        text_of = keys // n_feats
        raw = np.zeros((len(texts), len(self.languages)), dtype=np.float32)
        if len(keys):
            weighted = self._ptc[keys % n_feats] * np.log1p(counts.astype(np.float32))[:, None]
            firsts = np.flatnonzero(np.r_[True, text_of[1:] != text_of[:-1]])
            raw[text_of[firsts]] = np.add.reduceat(weighted, firsts, axis=0) + self._pc
        # featureless rows stay 0: uniform, as py3langid does under norm_probs
        scale = np.array([1.0 / math.sqrt(len(d) or 1) for d in datas], dtype=np.float32)
        probs = _softmax(raw * scale[:, None])
        return np.log(np.maximum(probs, 1e-12))

    def _word_evidence(self, texts: Sequence[str]) -> tuple[np.ndarray, list[list[int]]]:
        rows = [self.lexicon.rows(t) for t in texts]
        flat = [r for rs in rows for r in rs] + [self.lexicon.unknown]
        starts = np.cumsum([0] + [len(rs) for rs in rows[:-1]])
        sums = np.add.reduceat(self.lexicon.scores[np.asarray(flat, dtype=np.intp)], starts, axis=0)
        known = np.asarray([len(rs) for rs in rows], dtype=np.float32)
        sums[known == 0] = 0.0
        return sums / np.sqrt(np.maximum(known, 1.0))[:, None], rows

    def _mixed(self, main: int, rows: list[int]) -> tuple[str, ...]:
        if len(rows) < 3:
            return ()
        votes: dict[int, int] = {}
        clear = self.lexicon.clear_lang
        for row in rows:
            j = clear[row]
            if j >= 0 and j != main:
                votes[j] = votes.get(j, 0) + 1
        if not votes:
            return ()
        second = max(votes, key=lambda j: (votes[j], -j))
        if votes[second] >= 2 and votes[second] >= MIXED_SHARE * len(rows):
            return (self.languages[main], self.languages[second])
        return ()

    def predict(self, texts: Sequence[str], hints: Sequence[str | None] | None = None) -> list[LangPrediction]:
        """Texts should be cleaned (``clean_for_langid``) Latin-script letters; empty -> ``und``."""
        texts = list(texts)
        if not texts:
            return []
        py3 = self._py3_logprobs(texts)
        rows: list[list[int]] = [[] for _ in texts]
        logp = py3
        if self.lexicon is not None and self.weight:
            evidence, rows = self._word_evidence(texts)
            logp = py3 + self.weight * evidence
        probs = _softmax(logp)
        best = probs.argmax(axis=1)
        if self.lexicon is not None and self.weight:  # a sure base is not overruled by a lexicon that lacks words
            lacking = np.array([len(r) < len(t.split()) for r, t in zip(rows, texts)])
            best = np.where(lacking & (py3.max(axis=1) >= math.log(PY3_SURE)), py3.argmax(axis=1), best)
        out = []
        for i, text in enumerate(texts):
            if not text.strip():
                out.append(LangPrediction("und", 0.0, (), None))
                continue
            j = int(best[i])
            mixed = self._mixed(j, rows[i]) if self.lexicon is not None else ()
            out.append(LangPrediction(self.languages[j], round(float(probs[i, j]), 4), mixed, "Latn"))
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
