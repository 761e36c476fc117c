"""Small stopword lists (written by us) for topic words: function words, pronouns,
fillers and laughter that say nothing about a topic. Deliberately short: the
class-based TF-IDF of topic discovery already down-weights words common to all
topics; these lists only keep the obvious function words out of the top words."""

from __future__ import annotations

import re

_LISTS = {
    "en": """a an the and or but so if then than that this these those it its it's is are was were be
        been being am do does did done have has had having i me my mine we us our you your he him his
        she her they them their what which who whom whose when where why how all any both each more most
        some such no not nor only own same too very can will just should would could may might must
        shall of at by for with about against between into through during before after above below to
        from up down in out on off over under again further once here there im i'm dont don't cant can't
        didnt didn't isnt isn't wasnt wasn't thats that's youre you're ive i've ill i'll id i'd also
        really even still much many lot get got go going gonna wanna like one ok okay oh yeah yes lol
        lmao omg haha hahaha hehe wow pls please u ur thank thanks""",
    "es": """el la los las un una unos unas y o pero que de del en con por para es fue ser estar
        esta este esto eso lo le les se me te nos mi mis tu tus su sus al como más muy ya no sí si
        también porque cuando donde hay jaja jajaja""",
    "pt": """o a os as um uma e ou mas que de do da dos das em no na nos nas com por para é são foi ser
        estar isso isto esse essa ele ela eles elas eu você se me te meu minha seu sua mais muito já
        não sim também porque quando onde tem kkk kkkk""",
    "id": """yang dan di ke dari ini itu aku saya kamu dia kita kami mereka ada adalah untuk dengan
        juga tidak gak ga nggak enggak sudah udah akan bisa lagi aja saja banget sih deh dong kok kan
        ya yg nya sama dgn tapi karena jadi pada atau wkwk wkwkwk""",
    "tl": """ang ng mga sa na at si ni ay ko mo ka ako ikaw siya kami tayo sila ito iyan yan yung nang
        pa po ba lang din rin naman talaga haha""",
    "vi": """là và của có không này mình thì mà cho được quá rất với các những một cũng đã đi lại nhé
        nha ạ ơi thế vậy này kia nào gì ai em anh chị tôi bạn nó họ khi nếu như để từ trong ra vào
        lên haha""",
    "fr": """le la les un une des et ou mais que qui de du en au aux avec pour par est sont être c'est
        je tu il elle nous vous ils elles ce cette ces mon ma mes ton ta sa ses pas ne plus très""",
    "de": """der das ein eine und oder aber dass ist sind sein ich du er sie wir ihr es nicht
        mit für von zu auf im in den dem des auch so sehr""",
    "zh": """的 了 是 我 你 他 她 它 我们 你们 他们 她们 这 那 这个 那个 这部 那部 也 都 就 还 在 有 和 与
        吗 呢 吧 啊 呀 哦 哈 哈哈 哈哈哈 嗯 么 什么 怎么 没 没有 不 很 太 真 真的 就是 一个 一 又 把 被
        让 给 对 说 会 要 能 可以 但是 可是 因为 所以 如果 而且 然后 已经 还是 这样 那样 自己 啦 嘛 得 地 着
        过 个 之 其 从 到 为 以 而 或 等""",
    "ja": """の に は を た が で て と し れ さ ある いる も する から な こと として い や れる など なっ
        ない この ため その あっ よう また もの という あり まで られる なる へ か だ これ によって
        により おり より による ず なり られ において ば なかっ なく しかし について せ だっ その後
        できる それ う ので なお のみ でき き つ における および いう さらに でも ら たり その他 に関する
        たち ます ん なら です よ ね わ ちゃん さん 私 僕 俺 あなた 本当 とても すごく めっちゃ""",
    "ko": """이 그 저 것 수 등 및 더 또 너무 진짜 정말 완전 그냥 좀 잘 안 못 나 너 우리 저희 제 내
        그리고 그래서 근데 하지만 그런데 이거 그거 저거 여기 거기 ㅋㅋ ㅋㅋㅋ ㅋㅋㅋㅋ ㅎㅎ ㅠㅠ ㅜㅜ 가 은 는 을 를 의 도 에 로 와 과 랑 만
        넘 아니 왜 아 아니 내가 나도 거 다 하는 보고 많이 같이 이제 있다 없다 하다 되다 이다 같다 있어 없어 해서 하고 했다 해요 합니다 입니다""",
    "th": """ที่ และ ของ ใน เป็น ได้ ให้ ไม่ มี จะ ก็ ว่า กับ แต่ นี้ นั้น แล้ว มาก อยู่ คือ ไป มา
        เรา เขา ฉัน ผม คุณ เธอ มัน นะ ค่ะ คะ ครับ จ้า จัง เลย อะ อ่ะ ด้วย หรือ ถ้า เพราะ ซึ่ง 555 5555
        55555 อีก ยัง ทำ""",
}

STOPWORDS: dict[str, frozenset[str]] = {lang: frozenset(words.split()) for lang, words in _LISTS.items()}
ALL_STOPWORDS: frozenset[str] = frozenset().union(*STOPWORDS.values())
# Laughter and crying typed as repeated letters: "hahaha", "ㅋㅋㅋㅋ", "555555", "wkwkwk".
_LAUGHTER = re.compile(r"^(?:(?:ha|he|hi|ja|je|wk|kk|ㅋ|ㅎ|ㅠ|ㅜ|5|w)+|x+d+)$")


def is_stopword(word: str) -> bool:
    """True for a stopword of any supported language, or a laughter run."""
    return word in ALL_STOPWORDS or _LAUGHTER.match(word) is not None
