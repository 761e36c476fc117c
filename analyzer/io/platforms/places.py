"""Free-text profile locations ("Manila, Philippines", "🇹🇭", "Jakarta") -> ISO country
codes. Deliberately small: country names in English and their own language, a few
large cities, and flag emoji. Unknown or ambiguous text gives None; the raw location
text is never kept."""

from __future__ import annotations

import re
import unicodedata

_NAMES = {
    "VN": "vietnam|viet nam|việt nam|hanoi|hà nội|ha noi|ho chi minh|hồ chí minh|saigon|sài gòn|da nang|đà nẵng",
    "TH": "thailand|ประเทศไทย|ไทย|bangkok|กรุงเทพ|chiang mai",
    "ID": "indonesia|jakarta|surabaya|bandung|bali|medan|yogyakarta",
    "MY": "malaysia|kuala lumpur|penang|selangor|johor",
    "PH": "philippines|pilipinas|manila|cebu|davao|quezon city",
    "SG": "singapore|新加坡",
    "KR": "korea|south korea|대한민국|한국|seoul|서울|busan",
    "JP": "japan|日本|tokyo|東京|osaka|大阪",
    "CN": "china|中国|中國|beijing|北京|shanghai|上海|guangzhou|shenzhen",
    "TW": "taiwan|台灣|台湾|taipei|台北",
    "HK": "hong kong|香港",
    "IN": "india|भारत|mumbai|delhi|bangalore|bengaluru|chennai|kolkata",
    "US": "usa|united states|new york|california|los angeles|texas|chicago|florida",
    "GB": "uk|united kingdom|england|london|scotland|wales",
    "CA": "canada|toronto|vancouver|montreal",
    "AU": "australia|sydney|melbourne|brisbane",
    "BR": "brazil|brasil|são paulo|sao paulo|rio de janeiro",
    "MX": "mexico|méxico|cdmx|guadalajara",
    "AR": "argentina|buenos aires",
    "CO": "colombia|bogotá|bogota",
    "PE": "peru|perú|lima",
    "CL": "chile|santiago de chile",
    "ES": "spain|españa|espana|madrid|barcelona",
    "PT": "portugal|lisboa|lisbon",
    "FR": "france|paris",
    "DE": "germany|deutschland|berlin|münchen|munich",
    "IT": "italy|italia|roma|rome|milano|milan",
    "TR": "turkey|türkiye|turkiye|istanbul|ankara",
    "RU": "russia|россия|moscow|москва",
    "SA": "saudi arabia|السعودية|riyadh|الرياض",
    "AE": "uae|united arab emirates|dubai|abu dhabi",
    "EG": "egypt|مصر|cairo|القاهرة",
    "MA": "morocco|المغرب|casablanca",
}
_PATTERN = re.compile(
    "|".join(f"(?P<{code}>(?<![^\\W_])(?:{names})(?![^\\W_]))" for code, names in _NAMES.items()),
    re.IGNORECASE,
)
_FLAG = re.compile("[\U0001F1E6-\U0001F1FF]{2}")


def country_from_location(text) -> str | None:
    """The one country a location names, or None when there is none or several."""
    if not isinstance(text, str) or not text.strip():
        return None
    text = unicodedata.normalize("NFC", text)
    found = {m.lastgroup for m in _PATTERN.finditer(text)}
    for flag in _FLAG.findall(text):
        found.add("".join(chr(ord(ch) - 0x1F1E6 + ord("A")) for ch in flag))
    return found.pop() if len(found) == 1 else None
