"""Writes the synthetic sample dumps in this folder. Every text here was written by the
project's developers for demos and tests; none is copied from a real platform.

    python data/samples/make_samples.py
"""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

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


if __name__ == "__main__":
    main()
