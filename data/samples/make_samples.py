"""Writes the synthetic sample dumps in this folder. Every text here was written by the
project's developers for demos and tests; none is copied from a real platform.

    python data/samples/make_samples.py
"""

from __future__ import annotations

import csv
import json
import random
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

from demo_templates import ASIDES, CLAUSES, VERDICTS, CLOSERS, JOINERS, OPENERS

HERE = Path(__file__).resolve().parent
T0 = datetime(2024, 6, 1, 12, 0, tzinfo=timezone.utc)

# (drama, language, text, days after T0, likes)
COMMENTS = [
    ("The Untamed", "en", "The chemistry between the two leads is unreal, I binged 20 episodes in one weekend!", 0, 120),
    ("The Untamed", "en", "Xiao Zhan's acting in the last episode made me cry so hard 😭 best ending ever", 1, 340),
    ("The Untamed", "en", "Where can I watch this with English subtitles? Not available on Netflix in my country", 2, 15),
    ("The Untamed", "en", "The costumes and the scenery are gorgeous but the plot is confusing in the first episodes", 3, 48),
    ("The Untamed", "en", "Dropped it after episode 5, way too slow for me", 9, 4),
    ("The Untamed", "en", "Rewatching it for the third time and the OST still gives me chills", 30, 210),
    ("The Untamed", "zh", "陈情令的剧情太好哭了，肖战的演技真的绝了", 0, 500),
    ("The Untamed", "zh", "主题曲《无羁》百听不厌，二刷中", 5, 260),
    ("The Untamed", "vi", "Phim hay quá, diễn xuất của Tiêu Chiến và Vương Nhất Bác đỉnh thật sự", 1, 88),
    ("The Untamed", "vi", "Cốt truyện hơi khó hiểu lúc đầu nhưng càng xem càng cuốn", 4, 35),
    ("The Untamed", "vi", "Xem ở đâu có phụ đề tiếng Việt vậy mọi người?", 6, 12),
    ("The Untamed", "th", "ชอบเพลงประกอบมาก ฟังทุกวันเลย", 2, 60),
    ("The Untamed", "th", "ดูจบแล้ว ร้องไห้หนักมาก ตอนจบดีที่สุด", 12, 140),
    ("The Untamed", "th", "ซับไทยแปลผิดเยอะมาก น่าผิดหวัง", 8, 22),
    ("The Untamed", "ko", "케미가 너무 좋아요 정주행 중입니다", 3, 41),
    ("The Untamed", "ko", "연기는 좋은데 전개가 너무 느려요", 10, 9),
    ("The Untamed", "id", "Akting Xiao Zhan keren banget, alur ceritanya juga seru", 2, 77),
    ("The Untamed", "id", "Nonton di mana ya yang ada sub indo?", 7, 5),
    ("The Untamed", "es", "La química entre los protagonistas es increíble, la recomiendo a todos", 4, 30),
    ("The Untamed", "es", "Demasiado lenta, la dejé en el capítulo 8", 15, 3),
    ("Love Between Fairy and Devil", "en", "Dylan Wang as Dongfang Qingcang is iconic, the villain turned lover arc is so good", 0, 150),
    ("Love Between Fairy and Devil", "en", "The CGI looks cheap in some fight scenes but the romance makes up for it", 2, 66),
    ("Love Between Fairy and Devil", "en", "Can't wait for the next episode!!! Please release it faster", 3, 90),
    ("Love Between Fairy and Devil", "en", "first!", 0, 0),
    ("Love Between Fairy and Devil", "en", "Check out my channel for free dramas!!! subscribe https://example.com/promo", 1, 0),
    ("Love Between Fairy and Devil", "en", "This is my first C-drama and now I'm hooked, better than most K-dramas I've seen", 5, 44),
    ("Love Between Fairy and Devil", "zh", "苍兰诀的特效太棒了，东方青苍好帅", 1, 320),
    ("Love Between Fairy and Devil", "zh", "剧情拖沓，后面注水严重，弃剧了", 14, 27),
    ("Love Between Fairy and Devil", "vi", "Thương Lan Quyết hay cực, cặp đôi chính quá dễ thương", 2, 95),
    ("Love Between Fairy and Devil", "vi", "Nhạc phim hay nhưng kỹ xảo hơi giả", 6, 18),
    ("Love Between Fairy and Devil", "th", "พระนางเคมีดีมาก ฟินสุดๆ", 1, 73),
    ("Love Between Fairy and Devil", "th", "รอตอนต่อไปไม่ไหวแล้ว", 3, 31),
    ("Love Between Fairy and Devil", "ja", "二人の演技が素晴らしい！毎週楽しみにしています", 4, 25),
    ("Love Between Fairy and Devil", "ja", "映像がとても綺麗で衣装も素敵です", 5, 19),
    ("Love Between Fairy and Devil", "id", "Ceritanya bagus banget, Dylan Wang ganteng parah", 2, 64),
    ("Love Between Fairy and Devil", "id", "Terjemahannya jelek, banyak yang salah", 9, 8),
    ("Love Between Fairy and Devil", "es", "Me encantó el vestuario y la música, ya la terminé y quiero una segunda temporada", 20, 37),
    ("Love Between Fairy and Devil", "tl", "Grabe ang kilig ko sa drama na ito, ang galing ng mga artista", 3, 29),
    ("Love Between Fairy and Devil", "pt", "Que série linda, a trilha sonora é maravilhosa", 4, 21),
    ("Love Between Fairy and Devil", "ar", "المسلسل رائع جدا والتمثيل ممتاز", 5, 16),
    ("Nirvana in Fire", "en", "Masterpiece. The political plot is so smart and Hu Ge's performance is unforgettable", 0, 410),
    ("Nirvana in Fire", "en", "Learned so much about Chinese history and court culture from this show", 3, 95),
    ("Nirvana in Fire", "en", "Honestly too many characters and I got lost, the subtitles didn't help", 6, 11),
    ("Nirvana in Fire", "en", "54 episodes is a lot but not a single filler, highly recommend", 9, 130),
    ("Nirvana in Fire", "zh", "琅琊榜是国产剧的天花板，剧情和服化道都无可挑剔", 0, 600),
    ("Nirvana in Fire", "zh", "梅长苏太让人心疼了，看哭了", 2, 280),
    ("Nirvana in Fire", "ko", "중국 드라마 중에 최고예요 스토리가 탄탄해요", 1, 57),
    ("Nirvana in Fire", "ko", "역사 드라마 좋아하는 분들께 추천합니다", 4, 33),
    ("Nirvana in Fire", "vi", "Lang Gia Bảng là phim cổ trang hay nhất mình từng xem", 2, 120),
    ("Nirvana in Fire", "vi", "Phim dài quá, mình bỏ giữa chừng", 11, 6),
    ("Nirvana in Fire", "th", "เนื้อเรื่องดีมาก การแสดงของหูเกอสุดยอด", 3, 47),
    ("Nirvana in Fire", "id", "Drama terbaik yang pernah aku tonton, wajib nonton", 1, 58),
    ("Nirvana in Fire", "ja", "ストーリーが面白くて一気に見ました", 2, 40),
    ("Nirvana in Fire", "es", "La mejor serie histórica china, la trama es brillante", 5, 26),
    ("Nirvana in Fire", "en", "12:45", 7, 0),
    ("Nirvana in Fire", "en", "Boring. I don't understand why people love this so much", 8, 2),
    # Markup in a comment must show as text in every report.
    ("Hidden Love", "en", "The ending <script>alert('x')</script> was so sweet, Sang Zhi deserved it", 3, 9),
]

AUTHORS = ["luna_fan", "binge_queen", "drama_addict99", "meiwatcher", "tranhoa", "somchai_t", "minji_k",
           "budi_s", "carla_m", "kenji_w", "ayu_p", "joy_m", "rafa_b", "omar_h"]


def rows():
    for index, (drama, lang, text, days, likes) in enumerate(COMMENTS):
        yield {
            "index": index, "drama": drama, "lang": lang, "text": text, "likes": likes,
            "created_at": (T0 + timedelta(days=days, hours=index % 7)).isoformat().replace("+00:00", "Z"),
            "author": AUTHORS[index % len(AUTHORS)],
        }

# ---------------------------------------------------------------------------------------------
# The demo sample: a few thousand comments on the catalog's seven dramas in thirteen markets,
# composed from the clauses in demo_templates.py. Each drama has its own strengths and
# weaknesses and each genre its own markets, so the report shows differences that hold up.

DEMO_T0 = datetime(2024, 3, 4, 8, 0, tzinfo=timezone.utc)
DEMO_COMMENTS = 3200  # about this many (rounded per cell)

# title, genre group, episodes, actors, characters, lead pair, first day, volume, share positive,
# what its fans praise and what its critics blame (clause key -> weight)
DRAMAS = {
    "The Untamed": dict(
        genre="xianxia", eps=50, actors=["Xiao Zhan", "Wang Yibo"], characters=["Wei Wuxian", "Lan Wangji"],
        couple="Wei Wuxian & Lan Wangji", day=0, volume=1.3, pos=0.76,
        good={"acting": 3, "music": 3, "characters": 2, "story": 2, "binge": 1, "recommend": 1},
        bad={"story": 2, "production": 2, "pacing": 1, "subtitles": 1}),
    "Love Between Fairy and Devil": dict(
        genre="xianxia", eps=36, actors=["Dylan Wang", "Esther Yu"], characters=["Dongfang Qingcang", "Xiao Lanhua"],
        couple="Xiao Lanhua & Dongfang Qingcang", day=7, volume=1.2, pos=0.74,
        good={"romance": 4, "acting": 2, "production": 2, "waiting": 1, "binge": 1},
        bad={"production": 2, "pacing": 1, "story": 1}),
    "Nirvana in Fire": dict(
        genre="period", eps=54, actors=["Hu Ge", "Wang Kai"], characters=["Mei Changsu", "Prince Jing"],
        couple="Mei Changsu & Prince Jing", day=14, volume=0.8, pos=0.70,
        good={"story": 4, "acting": 3, "culture": 2, "characters": 1, "recommend": 1},
        bad={"pacing": 3, "dropped": 2, "story": 1}),
    "Hidden Love": dict(
        genre="modern", eps=25, actors=["Zhao Lusi", "Chen Zheyuan"], characters=["Duan Jiaxu", "Zhizhi"],  # "Sang" is read as music (en lexicon)
        couple="Zhizhi & Duan Jiaxu", day=21, volume=1.0, pos=0.74,
        good={"romance": 4, "binge": 2, "acting": 2, "music": 1, "waiting": 1},
        bad={"romance": 2, "pacing": 1, "characters": 1}),
    "Story of Yanxi Palace": dict(
        genre="period", eps=70, actors=["Wu Jinyan", "Qin Lan"], characters=["Wei Yingluo", "Fuheng"],
        couple="Wei Yingluo & Fuheng", day=3, volume=0.9, pos=0.70,
        good={"characters": 4, "story": 3, "production": 2, "binge": 1},
        bad={"pacing": 2, "dropped": 1, "characters": 1}),
    "Eternal Love": dict(
        genre="xianxia", eps=58, actors=["Yang Mi", "Mark Chao"], characters=["Bai Qian", "Ye Hua"],
        couple="Bai Qian & Ye Hua", day=10, volume=0.8, pos=0.62,
        good={"romance": 3, "production": 2, "music": 1},
        bad={"pacing": 3, "production": 1, "dropped": 1, "acting": 1}),
    "Till the End of the Moon": dict(
        genre="xianxia", eps=40, actors=["Luo Yunxi", "Bai Lu"], characters=["Tantai Jin", "Li Susu"],
        couple="Li Susu & Tantai Jin", day=28, volume=0.9, pos=0.58,
        good={"acting": 3, "characters": 2, "production": 1},
        bad={"story": 3, "production": 2, "pacing": 2, "dropped": 1}),
}

# Titles as viewers write them in each language (from data/catalog/dramas.csv); English otherwise.
LOCAL_TITLES = {
    "The Untamed": {"vi": "Trần Tình Lệnh", "th": "ปรมาจารย์ลัทธิมาร", "ko": "진정령", "ja": "陳情令", "zh": "陈情令"},
    "Love Between Fairy and Devil": {"vi": "Thương Lan Quyết", "th": "ปลดผนึกหัวใจหวนรัก", "ko": "창란결",
                                     "ja": "蒼蘭訣", "zh": "苍兰诀"},
    "Nirvana in Fire": {"vi": "Lang Gia Bảng", "th": "มหาบุรุษยอดกุนซือ", "ko": "랑야방", "ja": "琅琊榜", "zh": "琅琊榜"},
    "Hidden Love": {"vi": "Vụng Trộm Không Thể Giấu", "th": "แอบรักให้เธอรู้", "ko": "남몰래 숨길 수 없어",
                    "zh": "偷偷藏不住", "id": "Cinta Tersembunyi"},
    "Story of Yanxi Palace": {"vi": "Diên Hi Công Lược", "th": "เล่ห์รักตำหนักเหยียนสี่", "ko": "연희공략",
                              "ja": "瓔珞", "zh": "延禧攻略"},
    "Eternal Love": {"vi": "Tam Sinh Tam Thế Thập Lý Đào Hoa", "th": "สามชาติสามภพ ป่าท้อสิบหลี่",
                     "ko": "삼생삼세 십리도화", "ja": "永遠の桃花", "zh": "三生三世十里桃花"},
    "Till the End of the Moon": {"vi": "Trường Nguyệt Tẫn Minh", "th": "จันทราอัสดง", "ko": "장월신명",
                                 "ja": "長月燼明", "zh": "长月烬明"},
}

# market, language, country field (None: the market comes from the language), volume, days late,
# share of where-to-watch questions, extra complaints (clause key -> weight)
MARKETS = [
    ("US", "en", "US", 1.0, 0, 0.05, {}),
    ("Anglophone", "en", None, 0.6, 0, 0.06, {}),
    ("PH", "tl", "PH", 0.8, 0, 0.06, {}),
    ("VN", "vi", None, 1.4, 0, 0.05, {}),
    ("TH", "th", None, 1.1, 0, 0.05, {}),
    ("ID", "id", None, 1.0, 0, 0.06, {"subtitles": 1}),
    ("KR", "ko", None, 0.5, 10, 0.05, {}),
    ("JP", "ja", None, 0.4, 21, 0.06, {}),
    ("BR", "pt", "BR", 0.6, 7, 0.08, {"subtitles": 3}),
    ("LATAM+ES", "es", None, 1.0, 3, 0.12, {}),
    ("Arabic", "ar", None, 0.4, 14, 0.10, {"subtitles": 4}),
    ("FR", "fr", "FR", 0.3, 14, 0.08, {"subtitles": 2}),
    ("Chinese-speaking", "zh", None, 0.45, 0, 0.04, {}),
]

# genre group x market: (change in the share positive, volume multiplier)
AFFINITY = {
    "xianxia": {"VN": (0.10, 1.4), "TH": (0.10, 1.3), "ID": (0.08, 1.2), "US": (-0.04, 0.9), "LATAM+ES": (-0.06, 0.7),
                "BR": (-0.08, 0.6), "JP": (-0.05, 0.7), "FR": (-0.10, 0.7), "Chinese-speaking": (0.04, 1.0)},
    "period": {"KR": (0.15, 1.6), "JP": (0.12, 1.6), "VN": (0.05, 1.1), "Chinese-speaking": (0.08, 1.3),
               "LATAM+ES": (-0.18, 0.5), "BR": (-0.15, 0.5), "US": (0.0, 0.8), "PH": (-0.10, 0.6), "ID": (-0.05, 0.8)},
    "modern": {"LATAM+ES": (0.15, 1.8), "BR": (0.15, 1.7), "PH": (0.12, 1.5), "US": (0.05, 1.2), "Arabic": (0.10, 1.2),
               "KR": (-0.10, 0.6), "JP": (-0.05, 0.6), "Chinese-speaking": (0.0, 0.8)},
}
# a few pairings that stand out on their own (change in the share positive)
SPECIAL = {("Hidden Love", "LATAM+ES"): 0.10, ("Till the End of the Moon", "US"): -0.15,
           ("Nirvana in Fire", "KR"): 0.10, ("Nirvana in Fire", "LATAM+ES"): -0.10,
           ("Story of Yanxi Palace", "VN"): 0.12, ("Eternal Love", "Arabic"): -0.12}


def _weighted(rng: random.Random, weights: dict[str, float], skip: str | None = None) -> str:
    keys = sorted(k for k in weights if k != skip)
    return rng.choices(keys, [weights[k] for k in keys])[0]


def _slots(rng: random.Random, drama: str, lang: str) -> dict[str, object]:
    d = DRAMAS[drama]
    return {"title": LOCAL_TITLES[drama].get(lang, drama), "actor": rng.choice(d["actors"]),
            "character": rng.choice(d["characters"]), "couple": d["couple"],
            "ep": rng.randint(3, d["eps"] - 2), "eps": d["eps"]}


def _capital(s: str) -> str:
    return s[:1].upper() + s[1:]


def _clause(rng: random.Random, options: list[str], slots: dict) -> str:
    """A clause, or often just its first half (up to the first comma)."""
    text = rng.choice(options).format(**slots)
    head = re.split(r"[,，、،]", text)[0]
    return head if head != text and len(head) > 12 and rng.random() < 0.45 else text


def demo_text(rng: random.Random, drama: str, lang: str, stance: str, praise: dict, blame: dict) -> str:
    """One comment: an opener, one or two clauses of the same stance, a closer."""
    clauses = CLAUSES[lang]
    slots = _slots(rng, drama, lang)
    if stance == "?":
        return rng.choice(clauses["where?"]).format(**slots) + rng.choice(CLOSERS["?"])
    weights = praise if stance == "+" else blame
    first = _weighted(rng, weights)
    parts = [_clause(rng, clauses[first + stance], slots)]
    if rng.random() < 0.8 and len(weights) > 1:
        second = _weighted(rng, weights, skip=first)
        parts.append(_clause(rng, clauses[second + stance], slots))
    if rng.random() < 0.75:
        parts.insert(rng.choice((0, len(parts))), rng.choice(VERDICTS[lang][stance]))
    opener = rng.choice(OPENERS.get(lang, {}).get(stance, [""]))
    body = JOINERS[lang].join(parts)
    text = (opener + body if opener else _capital(body)) + rng.choice(CLOSERS[stance])
    if rng.random() < 0.6:
        text = rng.choice(ASIDES[lang]).format(**slots) + " " + (text if text[:1].isupper() or not opener else _capital(text))
    return text


def demo_cells() -> list[tuple[str, tuple, int, float]]:
    """(drama, market row, comments, share positive) for every drama x market."""
    raw = []
    for drama, d in DRAMAS.items():
        for market in MARKETS:
            shift, volume = AFFINITY[d["genre"]].get(market[0], (0.0, 1.0))
            pos = min(0.95, max(0.15, d["pos"] + shift + SPECIAL.get((drama, market[0]), 0.0)))
            raw.append((drama, market, d["volume"] * market[3] * volume, pos))
    scale = DEMO_COMMENTS / sum(r[2] for r in raw)
    return [(drama, market, max(3, round(v * scale)), pos) for drama, market, v, pos in raw]


def demo_rows(seed: int = 16) -> list[dict]:
    rng = random.Random(seed)
    cells = demo_cells()
    per_market: dict[str, int] = {}
    for _, market, n, _ in cells:
        per_market[market[0]] = per_market.get(market[0], 0) + n
    out = []
    for drama, market, n, pos in cells:
        name, lang, country, _, late, ask, extra = market
        d = DRAMAS[drama]
        blame = dict(d["bad"])
        for key, w in extra.items():
            blame[key] = blame.get(key, 0) + w
        pool = max(4, int(per_market[name] * 0.8))
        for _ in range(n):
            r = rng.random()
            stance = "?" if r < ask else ("+" if rng.random() < pos else "-")
            day = d["day"] + late + min(int(rng.expovariate(1 / 12)), 63)
            when = DEMO_T0 + timedelta(days=day, hours=rng.randint(0, 23), minutes=rng.randint(0, 59))
            likes = int(rng.paretovariate(1.4) * (6 if stance == "+" else 3)) - 3
            row = {"text": demo_text(rng, drama, lang, stance, d["good"], blame), "drama": drama,
                   "platform": "youtube" if rng.random() < 0.7 else "viki",
                   "author": f"{name.lower().replace('+', '-')}-fan{int(pool * rng.random() ** 1.5):04d}",
                   "likes": max(0, likes), "created_at": when.isoformat().replace("+00:00", "Z")}
            if country:
                row["country"] = country
            out.append(row)
    out.sort(key=lambda r: (r["created_at"], r["drama"], r["text"]))
    return [{"id": f"d{i:05d}", **r} for i, r in enumerate(out)]


def write_demo(path: Path) -> None:
    with open(path, "w", encoding="utf-8") as out:
        for row in demo_rows():
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def main() -> None:
    all_rows = list(rows())
    # Format 1: generic JSON Lines (even rows).
    with open(HERE / "comments_mixed.jsonl", "w", encoding="utf-8") as out:
        for r in all_rows[0::2]:
            record = {"id": f"s{r['index']:03d}", "text": r["text"], "drama": r["drama"], "platform": "youtube",
                      "author": r["author"], "likes": r["likes"], "created_at": r["created_at"], "lang": r["lang"]}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    # Format 2: a CSV export with other column names (odd rows): body, score, user, show.
    with open(HERE / "platform_export.csv", "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["comment_id", "body", "show", "score", "user", "created_at", "site"])
        for r in all_rows[1::2]:
            writer.writerow([f"s{r['index']:03d}", r["text"], r["drama"], r["likes"], r["author"], r["created_at"], "viki"])


    write_demo(HERE / "demo.jsonl")


if __name__ == "__main__":
    main()
