"""Comments written for the theme-model tests (one per language, plus noise and empty)."""

TEXTS = [
    ("The plot twist in the last episode was insane", "en"),
    ("I need english subtitles please", "en"),
    ("Can't wait for season 2!!", "en"),
    ("Where can I watch this in Canada?", "en"),
    ("男女主太甜了，演技也很好", "zh"),
    ("OST가 너무 좋아요 계속 듣는 중", "ko"),
    ("字幕はいつ付きますか", "ja"),
    ("Phim dài dòng quá, xem chán", "vi"),
    ("ซับไทยมาแล้ว ขอบคุณมาก", "th"),
    ("Nunggu sub indo nya", "id"),
    ("La química entre ellos es increíble", "es"),
    ("12:34", "en"),
    ("", None),
    ("😂😂😂", None),
]
