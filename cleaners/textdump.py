"""The plain-text dump cleaner: keep an article's body, drop the page around it.

Input is a web page rendered to text (html_text, w3m, lynx, a browser's "save as
text") or an already extracted body (the HTML post-pass). `clean_dump` returns the
body paragraphs, the headline, the visible publication date, and a verdict with a
reason for every input line.

How (one named step each, all in `_one_pass`):

1. `split_dump`: the dump's logical lines (units). Renderer habits are undone first
   (`cleaners/textdump_render.py: normalise`: lynx's References list and <link> header,
   w3m/lynx bullets, image and form markers), then hard-wrapped paragraphs (w3m, lynx)
   are joined back and link markers ("[12]Home", "[IMG]") dropped, so every renderer
   looks like html_text to what follows. html_text dumps pass through unchanged.
2. `unit_features` and `_scores`: a body probability per unit. Stage one is a logistic regression over
   line features (length, stop-word density in the page's language, punctuation,
   boilerplate words in 8+ languages, repetition, position, neighbours' averages;
   script-neutral: Chinese and Japanese lines are measured in characters and function
   characters, and the script itself is hidden from the model, `textdump_features.MODEL_HIDDEN`);
   stage two is a small gradient-boosted tree ensemble over stage one's probability
   smoothed over neighbours plus the same features. Two regimes: a page most of whose
   lines have no case evidence (Chinese, Japanese, Korean, Arabic, Thai ...) is read by a
   model also trained on lower-cased copies of the training pages
   (`textdump_features.uncased_page`), every other page by one trained on them as they
   are. Weights: `cleaners/data/textdump_model.json`, made by `benchmarks/train_textdump.py`.
   An input every unit of which scores >= `ExtractConfig.dump_clean_min_score` is an
   already clean body: the model then removes nothing, only the rules do.
3. `_rule_reason` / `_context_rules`: boilerplate wherever it stands overrides the
   model ("Read more:" teaser lines, reading times, repeats, tags, captions and their
   bare copies, cookie banners, short share/comment/login lines, subscription calls,
   "Related"/"Most Popular" headings and the teasers under them, bare URLs, bulleted
   menus above or below the prose, reader comments from their section's heading on;
   Chinese site furniture the English-trained model reads as prose: button rows,
   breadcrumbs, previous / next links and the teasers after them, licence footers and
   reprint notices, `_cjk_furniture`).
   If nothing is left, the best-scored units are kept.
4. `find_title` / `find_date`: the headline, and the publication date (the date line
   around the body start; on the first pass, else one under the headline or the page's
   nearest date line).
   On the first pass (the whole page) `learned_title` then scores every headline
   candidate (`title_candidates`: the heading-like units of the page head, a few units
   into the body, and those units and the first line cut at their site separators) with
   a logistic regression (`cleaners/data/title_model.json`, made by `benchmarks/train_title.py`);
   the best one is the headline unless none scores the model's `min_score`, when the
   rules' choice stays.
5. `clean_dump` repeats 1–4 on the kept text until nothing more is removed, so that
   `clean_dump(clean_dump(x).text).text == clean_dump(x).text`.

Reason codes (`LineVerdict.reason`), one vocabulary for kept and removed lines:

- kept: ``body``
- moved to metadata: ``title``, ``date``
- removed: ``blank`` (an empty line; paragraph breaks are re-made in `text`),
  ``repeated`` (same text as an earlier line, outside running prose), ``link`` ("Read more:", "Related:" …
  teaser lines), ``reading_time``, ``caption`` (photo captions and credits),
  ``tags``, ``boilerplate:cookie``, ``boilerplate:subscribe`` (newsletter, donation,
  paywall, ads), ``boilerplate:social``, ``boilerplate:legal``,
  ``boilerplate:comment``, ``nav`` (menus, "See all", "Most Popular"),
  ``link_list`` (a run of short link-like lines; lynx's References list), ``short`` (a
  short line the model scored as not body), ``low_score`` (a longer line the model
  scored as not body), ``markup`` (renderer markup only: image or form markers, a bare
  bullet, an IFRAME line).
"""
from __future__ import annotations

import json
import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import date as _date
from functools import lru_cache
from itertools import repeat
from pathlib import Path
from typing import Any, Iterable, Iterator, Literal, NamedTuple

import numpy as np

from cleaners.config import ExtractConfig
from cleaners.textdump_features import (
    BASE_FEATURES, DATE_RE, FEATURE_DATE_RE, MAYBE_DATE, MONTHS_MORE_BY_NUMBER, Split, Unit, _TOKEN,
    best_stoplist, has_boilerplate, has_date, stage2_features, split_dump, split_paragraphs, stoplist_scores,
    uncased_page, unit_features, unit_tokens,
)

_COL = {name: i for i, name in enumerate(BASE_FEATURES)}

KEPT_REASONS = ("body",)
META_REASONS = ("title", "date")
REMOVED_REASONS = (
    "blank", "repeated", "link", "reading_time", "caption", "tags",
    "boilerplate:cookie", "boilerplate:subscribe", "boilerplate:social",
    "boilerplate:legal", "boilerplate:comment", "nav", "link_list", "short", "low_score",
    "markup",
)
REASONS = KEPT_REASONS + META_REASONS + REMOVED_REASONS

MODEL_PATH = Path(__file__).resolve().parent / "data" / "textdump_model.json"

#: The passes `clean_dump` may run before its output is a fixed point. Each pass that
#: changes anything removes at least one unit; in practice the second pass is the last.
MAX_PASSES = 6
#: When no unit reaches the threshold, units scoring at least FALLBACK_RATIO of the best
#: score are kept (if the best reaches FALLBACK_MIN_SCORE): an empty output scores zero
#: precision and zero recall, a short article in a sea of menus is better kept.
FALLBACK_RATIO = 0.5
FALLBACK_MIN_SCORE = 0.02


class LineVerdict(NamedTuple):  # a named tuple: one per input line, built fast
    index: int
    text: str
    keep: bool
    reason: str


@dataclass(frozen=True, slots=True)
class DumpResult:
    text: str
    title: str | None
    date: str | None
    lines: tuple[LineVerdict, ...]


# --- rules: boilerplate wherever it stands --------------------------------------------

_LINK_PREFIX = re.compile(
    r"^\s*(?:read more|more|related(?: content| articles?| stories| news)?|see also|also read|"
    r"read also|recommended|must read|don't miss|watch|listen|read next|up next|"
    r"lire aussi|à lire aussi|voir aussi|weiterlesen|lesen sie auch|mehr dazu|siehe auch|"
    r"leer más|lea también|te puede interesar|ver también|czytaj (?:też|także|więcej)|"
    r"zobacz (?:też|także)|читайте также|смотрите также|διαβάστε (?:επίσης|ακόμη)|"
    r"相关阅读|延伸阅读|推荐阅读|"
    # "Read also:" in the other languages whose stop lists the features consult, and Thai.
    r"lees ook|läs (?:också|även)|læs også|les også|lue myös|olvasd el ezt is|cite[șş]te [șş]i|"
    r"baca juga|читайте також|čtěte (?:také|též)|čítajte (?:aj|tiež)|preberite tudi|pročitajte (?:i|još)|"
    r"прочитајте још|прочетете още|lasi(?:et)? arī|taip pat skaitykite|loe ka|اقرأ أيض[اً]+|بیشتر بخوانید|"
    r"קראו גם|(?:ये|यह) भी पढ़ें|xem thêm|đọc thêm|อ่านเพิ่มเติม|อ่านต่อ)\s*[:：>»|]\s*\S",
    re.I,
)
_TAGS_PREFIX = re.compile(
    r"^\s*(?:tags?|topics?|filed under|published under|categor(?:y|ies)|keywords|"
    r"schlagwörter|themen|étiquettes|mots-clés|etiquetas|temas|tagi|tematy|теги|темы|"
    r"ετικέτες|标签|关键词)\s*[:：]?\s",
    re.I,
)
#: Blog software's "filed under" line, whose words are no tag word: "This entry was posted
#: in News. Bookmark the permalink.", "Tagged with: ...", as its translations word it.
_POSTED_IN = re.compile(
    r"^\s*(?:this entry was posted in|posted in|tagged(?: with)?|"
    r"dieser eintrag wurde (?:in )?veröffentlicht|getaggt mit|verschlagwortet mit|abgelegt unter|"
    r"cette entrée a été publiée dans|classé dans|esta entrada fue publicada en|"
    r"ten wpis został opublikowany w|эта запись опубликована в|αυτή η καταχώρηση δημοσιεύθηκε στο)\s*[:：]?\s",
    re.I,
)
_CAPTION = re.compile(
    r"\((?:photo|image|picture|foto|bild|credit)[^)]*\)|(?:photo|image|picture) credit|"
    r"^\s*(?:photo|image|picture|foto|bild|credit|source|fuente|źródło|фото|φωτογραφία)\s*[:：]|"
    r"/\s*(?:getty images|ap|afp|reuters|shutterstock|istock)\s*$|"
    r"\bin this (?:\w+ \d+, \d{4},? )?(?:file )?photo\b|\(AP Photo",
    re.I,
)


def _has_caption(text: str) -> bool:
    """`_CAPTION.search(text)`. Each of its forms holds "(", "/", ":" (or "："), "credit"
    or "in this"; in ASCII text, where its letters match only themselves in either case,
    most lines are so ruled out without the pattern, which is tried at every letter
    (2.4 -> 1.1 us a line on average)."""
    if text.isascii() and not ("(" in text or "/" in text or ":" in text):
        low = text.lower()
        if "credit" not in low and "in this" not in low:
            return False
    return _CAPTION.search(text) is not None


_NAV_PHRASE = re.compile(
    r"^\s*(?:see all|see more|view all|view more|load more|show more|more\b.*\bnews|"
    r"most popular|most read|most viewed|trending|related(?: \w+)?$|related content|you may also like|"
    r"recommended for you|more stories|next article|previous article|back to top|"
    r"skip to (?:main )?content|menu|home|search|"
    # Blog software's own headings (WordPress's, as its translations word them): next and
    # previous post, older and newer posts, related posts; a shop's "customers also bought".
    r"(?:next|previous|older|newer) posts?|you might also like|customers (?:who bought this item )?also bought|"
    # The same headings of teaser lists in the other languages the cleaner is checked on.
    r"(?:das|dies) könnte (?:sie|dich) auch interessieren|mehr zum thema|meistgelesen\w*|"
    r"(?:ähnliche|verwandte) (?:artikel|beiträge)|(?:nächster|vorheriger) beitrag|(?:ältere|neuere) beiträge|"
    r"kunden kauften auch|"
    r"sur le même sujet|à lire aussi|articles similaires|les plus lus|vous aimerez (?:peut-être )?aussi|"
    r"articles? (?:suivant|précédent)|"
    r"noticias relacionadas|artículos relacionados|(?:también )?te puede interesar|lo más leído|más leíd[oa]s|"
    r"entradas relacionadas|entrada (?:siguiente|anterior)|"
    r"você (?:também )?pode gostar|veja também|leia também|notícias relacionadas|mais lidas|"
    r"potrebbe interessarti|leggi anche|articoli correlati|più lett[ie]|"
    r"zobacz (?:także|też)|najczęściej czytane|podobne (?:artykuły|wpisy)|(?:następny|poprzedni) wpis|"
    r"читайте также|смотрите также|похожие (?:статьи|записи)|самое читаемое|(?:следующая|предыдущая) запись|"
    r"διαβάστε (?:επίσης|ακόμη)|σχετικά άρθρα|δημοφιλή|σχετικές δημοσιεύσεις|"
    r"相关文章|相关阅读|相关新闻|推荐阅读|热门文章|延伸阅读|猜你喜欢|上一篇|下一篇|"
    r"相关推荐|相关资讯|(?:热门|热点|精彩|编辑|今日|为您)推荐|推荐新闻|(?:热门|热点|最新)(?:新闻|资讯|阅读)|热新闻|热门?话题|热搜榜?|排行榜|"
    r"(?:今日|本周|一周|本月|24小时)(?:热门|热点|热榜|排行)|"
    r"[您你]可能感兴趣(?:的文章)?|作者最新文章|最新文章|大家都在看|(?:阅读|点击|评论)排行榜?|"
    r"関連記事|人気記事|おすすめ記事|あわせて読みたい|(?:次|前)の記事|관련\s?기사|많이\s?본\s?(?:뉴스|기사)|인기\s?기사)\b",
    re.I,
)
#: The same headings (related articles or news, read also, most read, latest news,
#: recommended, see more) in the other languages whose stop lists the features consult,
#: and Thai: as a whole line only (`_nav_phrase`), since in a language the cleaner is not
#: checked on a headline may begin with such words ("Jaunākās ziņas par ..."). A set, not
#: more alternatives of `_NAV_PHRASE`: as a regex they cost 0.3 ms a document.
_NAV_HEADINGS = frozenset(unicodedata.normalize("NFC", h) for h in (
    "gerelateerde artikelen", "gerelateerde berichten", "gerelateerd nieuws", "lees ook", "meest gelezen",
    "meer nieuws", "laatste nieuws",
    "relaterade artiklar", "läs också", "läs även", "mest lästa", "fler nyheter", "senaste nyheterna",
    "relaterede artikler", "læs også", "mest læste", "flere nyheder", "seneste nyheder",
    "relaterte artikler", "les også", "mest lest", "flere nyheter", "siste nytt",
    "aiheeseen liittyvät", "aiheeseen liittyvät artikkelit", "aiheeseen liittyvät uutiset", "lue myös",
    "luetuimmat", "luetuimmat uutiset", "uusimmat uutiset",
    "kapcsolódó cikkek", "kapcsolódó hírek", "ezt is ajánljuk", "olvasd el ezt is", "legolvasottabb",
    "legolvasottabb hírek", "legfrissebb hírek",
    "articole similare", "articole asemănătoare", "articole recomandate", "citește și", "citeşte şi", "citește şi", "citeşte și",
    "cele mai citite", "ultimele știri", "ultimele ştiri",
    "ilgili haberler", "benzer haberler", "en çok okunan", "en çok okunanlar", "bunlar da ilginizi çekebilir",
    "son haberler",
    "berita terkait", "artikel terkait", "baca juga", "terpopuler", "berita terbaru",
    "читайте також", "схожі статті", "новини за темою", "найпопулярніше", "останні новини",
    "související články", "čtěte také", "čtěte též", "nejčtenější", "mohlo by vás zajímat",
    "súvisiace články", "čítajte aj", "čítajte tiež", "najčítanejšie",
    "povezani članki", "povezani članci", "povezane novice", "povezane vijesti", "povezane vesti",
    "preberite tudi", "najbolj brano", "pročitajte i", "pročitajte još", "najčitanije", "najnovije vijesti",
    "najnovije vesti", "повезане вести", "прочитајте још", "најчитаније",
    "свързани статии", "свързани новини", "прочетете още", "най-четени", "последни новини",
    "saistītie raksti", "saistītās ziņas", "lasi arī", "lasiet arī", "populārākie", "jaunākās ziņas",
    "susiję straipsniai", "susijusios naujienos", "taip pat skaitykite", "skaitomiausi", "skaitomiausios",
    "naujausios naujienos",
    "seotud artiklid", "seotud uudised", "loe ka", "loetumad", "viimased uudised",
    "مقالات ذات صلة", "أخبار ذات صلة", "مواضيع ذات صلة", "اقرأ أيضا", "اقرأ أيضاً", "اقرأ أيضًا", "الأكثر قراءة", "آخر الأخبار",
    "مطالب مرتبط", "اخبار مرتبط", "بیشتر بخوانید", "پربازدیدترین", "پربازدیدترین ها", "آخرین اخبار",
    "כתבות נוספות", "כתבות קשורות", "קראו גם", "הנקראים ביותר",
    "संबंधित खबरें", "संबंधित ख़बरें", "ये भी पढ़ें", "यह भी पढ़ें", "ताजा खबरें", "ताज़ा खबरें", "ताज़ा ख़बरें",
    "tin liên quan", "bài viết liên quan", "tin cùng chuyên mục", "đọc nhiều nhất", "tin mới nhất", "xem thêm",
    "có thể bạn quan tâm",
    "ข่าวที่เกี่ยวข้อง", "เรื่องที่เกี่ยวข้อง", "บทความที่เกี่ยวข้อง", "ข่าวล่าสุด", "ข่าวยอดนิยม", "อ่านเพิ่มเติม",
    "บทความแนะนำ", "ข่าวรอบวัน",
))
_NAV_HEADING_MAX = max(map(len, _NAV_HEADINGS)) + 8  # room for spaces and trailing marks
_NAV_HEADING_TRAIL = " \t:：.…»›>|-"


def _nav_phrase(text: str) -> bool:
    """A navigation phrase or teaser-list heading (`_NAV_PHRASE`, `_NAV_HEADINGS`)."""
    if _NAV_PHRASE.match(text):
        return True
    if len(text) > _NAV_HEADING_MAX:
        return False
    key = " ".join(text.rstrip(_NAV_HEADING_TRAIL).lower().replace("\u0307", "").split())
    if not key.isascii():  # a dump may spell "ê" as "e" and a combining mark
        key = unicodedata.normalize("NFC", key)
    return key in _NAV_HEADINGS


def _rule_reason(text: str, repeated: bool, row: np.ndarray) -> str | None:
    """A reason that removes the unit whatever the model says, or None."""
    if row[_COL["reading_time"]]:
        return "reading_time"
    if repeated and len(text) < 200:
        return "repeated"
    if len(text) < 300 and _LINK_PREFIX.match(text):
        return "link"
    if len(text) < 200 and ((row[_COL["bp_tags"]] and _TAGS_PREFIX.match(text)) or _POSTED_IN.match(text)):
        return "tags"
    if row[_COL["bp_caption"]] and len(text) < 400 and _has_caption(text):
        return "caption"
    # (Chinese and Japanese run Latin words into the text without spaces, where the
    # word features cannot see them: "本网站使用cookie以改善您的体验".)
    if (row[_COL["bp_cookie"]] or row[_COL["cjk_ratio"]] > 0.3) and "cookie" in text.lower():
        return "boilerplate:cookie"
    return None


_CTA = re.compile(
    r"\b(?:join|subscribe|upgrade|sign up|become a (?:member|subscriber)|support|donate|"
    r"abonnieren|abonnez|suscríbete|subskrybuj|подпишитесь)\b.*\b(?:premium|subscription|"
    r"membership|ads?-free|newsletter|plus|journalism|abo|abonnement)\b",
    re.I,
)
_URL_ONLY = re.compile(r"^\s*(?:\d+\.\s*)?(?:https?://|www\.)\S+\s*$")
_BYLINE = re.compile(r"^\s*(?:by|von|par|por|przez|автор|από|作者)\b", re.I)
_CUE_SHORT = ("bp_comment", "bp_social", "bp_cookie", "bp_legal", "bp_subscribe")
# A letter to the reader (donation or subscription appeal): it opens with a salutation
# and closes with a thanks and a signature, with prose in between that the model may keep.
_APPEAL_OPEN = re.compile(
    r"^\s*(?:dear (?:reader|readers|subscriber|subscribers|friend|friends)|liebe lese\w*|"
    r"chers? lect\w*|querid[oa]s? lector\w*|drog\w* czytel\w*|дорог\w* читател\w*|"
    r"αγαπητ\w* αναγνώστ\w*|亲爱的读者)\b",
    re.I,
)
_APPEAL_CLOSE = re.compile(
    r"^\s*(?:thank you|thanks|sincerely|best regards|with gratitude|vielen dank|danke|merci|"
    r"gracias|dziękujemy|спасибо|ευχαριστούμε|谢谢)\b",
    re.I,
)
APPEAL_MAX_UNITS = 25  # a reader letter is a screen long; past that it is not one letter
SIGNATURE_MAX_UNITS = 3  # names and roles under the thanks

#: The heading of a reader-comment section ("34 responses to “Title”", "Comments (12)",
#: "Leave a Reply", "Join the conversation"), in the languages the cleaner is checked on.
_COMMENTS_HEADING = re.compile(
    r"^\s*(?:(?:\d+|one)\s+(?:comments?|responses?|replies|reactions|thoughts?|kommentare?|antworten|"
    r"commentaires?|réponses?|comentarios?|respuestas?|comentários?|respostas?|komentarz[ey]?|"
    r"odpowiedzi|комментари[йея]в?|ответ(?:ов|а)?|σχόλια|条评论)\b.*|"
    r"(?:全部|热门|最新|最热|精彩)评论\s*(?:\d+\s*条)?(?:\s*刷新)?|"
    r"(?:reader |user )?(?:comments?|responses|replies|discussion|kommentare|commentaires|comentarios|"
    r"comentários|komentarze|комментарии|σχόλια|评论|网友评论|留言)\s*(?:\(\d+\)|\d+)?\s*:?|"
    r"(?:leave|post|add|write) a (?:reply|comment)|join the (?:conversation|discussion)|have your say|"
    r"what do you think\??|(?:schreibe|hinterlasse) einen kommentar|kommentar schreiben|"
    r"laisser un commentaire|(?:deja|dejar|escribe) un comentario|deixe um comentário|dodaj komentarz|"
    r"(?:оставьте|оставить|добавить) комментарий|αφήστε (?:ένα )?σχόλιο|发表评论|我要评论|"
    # The comment form's button or link as the section's heading ("Comentar").
    r"comentar|commenter|kommentieren|komentuj|комментировать|σχολιάστε)\s*$",
    re.I,
)
#: What comment software prints around each comment: its author line ("joe says:"), its
#: time ("November 19, 2019 at 6:34 am", "2 days ago", "vor 3 Stunden"), its buttons and
#: votes ("Reply", "Rating: 36 Votes").
_COMMENT_MARK = re.compile(
    r"^\s*(?:\S.{0,40}\s(?:says|said|wrote|schreibt|sagt|meint|dit|dice|escribió|disse|napisał\w*|"
    r"пишет|написал\w*|έγραψε)\s*:|"
    r"(?:reply|report|antworten|répondre|responder|odpowiedz|ответить|απάντηση)|"
    # Chinese comment software's buttons: alone, or spaced out on the comment's time line
    # ("今天08:23 举报 赞 188 回复").
    r"(?:[^。！？!?]{0,40}\s)?(?:举报|回复)(?:\s[^。！？!?]{0,40})?|"
    r"rating:\s*-?\d+\s*votes?|\d+\s*(?:likes?|points?|votes?)|"
    r"(?:\d+|an?)\s+(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?)\s+ago\b.*|"
    r"vor\s+(?:\d+|einer|einem)\s+(?:sekunden?|minuten?|stunden?|tag(?:en)?|wochen?|monat(?:en)?|jahr(?:en)?)|"
    r"il y a\s+(?:\d+|une?)\s+(?:secondes?|minutes?|heures?|jours?|semaines?|mois|ans?)|"
    r"hace\s+(?:\d+|una?)\s+(?:segundos?|minutos?|horas?|días?|semanas?|meses?|años?)|"
    r"\d+\s+(?:sekund|minut|godzin|dni|tygodni|miesięcy|lat)\w*\s+temu|"
    r"\d+\s+(?:секунд|минут|час|дн|недел|месяц|год|лет)\w*\s+назад|\d+\s*(?:分钟|小时|天)前|"
    r".{0,30}\d{4},?\s+(?:at|um|à|a las|às|o)\s+\d{1,2}[:.h]\s?\d{2}(?:\s*[ap]\.?m\.?)?)\s*$",
    re.I,
)
COMMENT_LOOKAHEAD = 24  # units after a comments heading searched for comment marks (a form's rules of use and fields come first)
COMMENT_MIN_MARKS = 2  # marks that make the heading a comment section's, not the article's


#: The verdicts the rules may still change: kept by the model, or not (no reason yet).
_OPEN = ("body", "")
_CUE_COLUMNS = tuple(_COL[c] for c in _CUE_SHORT)


#: Chinese site furniture, which the English-trained line model reads as prose: a line
#: made only of the buttons and links every Chinese page template prints ("返回顶部",
#: "设为首页 | 联系我们", "打印 字体：大 中 小", "分享到: 0"), with counts between them.
_CJK_UI_WORD = (
    r"返回(?:顶部|首页|列表|目录|上一页)?|回到(?:顶部|首页)|设为首页|设置首页|加入收藏|收藏(?:本站|本文|本页)?|"
    r"(?:联系|关于)我们|友情链接|网站(?:地图|导航|首页)|意见反馈|(?:我要)?(?:反馈|跟帖|评论数?|投稿|爆料|纠错)|"
    r"(?:微信)?扫一扫|扫(?:描)?二维码|(?:下载|安装)\s?(?:APP|App|app|客户端)|(?:APP|App)\s?下载|客户端(?:下载)?|"
    r"一键(?:转发|分享)|转发|分享(?:到|至)?|打印(?:本页|本文|此文)?|关闭(?:窗口|本页)?|(?:调整)?(?:字体|字号)|"
    r"放大|正常|缩小|[大中小]|个人中心|[帐账]号设置|退出(?:登录)?|登录|注册|隐藏边栏|(?:联系|在线)?客服|"
    r"举报|取消|确认|确定|首页|上一页|下一页|尾页|更多|收起|展开(?:全文)?|阅读全文|查看(?:全文|原文|更多)|"
    r"(?:点击)?加载更多|相关搜索|会员(?:服务|中心)|点赞|[赞踩顶]|搜索|触屏版|手机版|电脑版|简体|繁體|繁体|"
    r"阅读(?:数|量)?|浏览(?:次数|量)?|点击(?:数|量)?"
)
#: What may stand between them: spaces, separators, brackets, counts, icon-font glyphs
#: (Unicode's private use area). Each word is matched atomically, the first alternative
#: that fits (longer forms come first), and the gaps possessively: a line such as
#: "返回首页" fourteen times and a stray character otherwise backtracks over every way
#: to split it ("返回" + "首页"), 11 ms instead of 0.01.
_CJK_UI_GAP = r"[\s|｜·•/、:：()（）\[\]【】>»\d\ue000-\uf8ff]*+"
_CJK_UI = re.compile(rf"^{_CJK_UI_GAP}(?:(?>{_CJK_UI_WORD}){_CJK_UI_GAP})+$")
#: A Chinese site's licence footer: its ICP licence and public-security registration
#: numbers (every site in mainland China prints them), "all rights reserved", where to
#: report illegal content.
_CJK_LEGAL = re.compile(
    r"ICP[备证]|公网安备|版权所有|网站标识码|违法和不良信息举报|举报(?:电话|邮箱)|"
    r"(?:经营|服务|节目|出版)许可证|技术支持\s*[:：]"
)
#: Links to the previous and next article.
_PREV_NEXT_WORDS = r"(?:上一篇|下一篇|上一条|下一条|上篇|下篇|前の記事|次の記事|이전\s?글|다음\s?글)"
_CJK_PREV_NEXT = re.compile(rf"^\s*(?:[【\[]{_PREV_NEXT_WORDS}[】\]]|(?:阅读|查看)?{_PREV_NEXT_WORDS}\s*(?:[:：]|$))")
#: "You are here:" before a breadcrumb, or a breadcrumb that ends on "> 正文" (the article).
_CJK_BREADCRUMB = re.compile(r"^\s*(?:当前|您的|你的|您现在的|你现在的|现在)?(?:所在)?位置\s*[:：]|[>›»]\s*正文\s*$")
#: A reprint notice ("未经授权不得转载", "转载请注明出处"): furniture even when it is a
#: sentence, if a short one.
_CJK_REPRINT = re.compile(r"(?:禁止|不得|严禁|谢绝)(?:任何)?(?:转载|复制)|转载请(?:注明|联系)|版权声明")
CJK_FURNITURE_MAX_CHARS = 160  # a footer line with several licence numbers runs to ~150
CJK_NOTICE_MAX_CHARS = 100


def _cjk_furniture(text: str) -> str | None:
    """The reason for a line of Chinese site furniture (`_CJK_UI`, `_CJK_LEGAL`,
    `_CJK_PREV_NEXT`, `_CJK_BREADCRUMB`, `_CJK_REPRINT`), or None. A line with a full
    stop is prose, whatever it names, unless it is a short reprint notice."""
    if len(text) <= CJK_NOTICE_MAX_CHARS and _CJK_REPRINT.search(text):
        return "boilerplate:legal"
    if len(text) > CJK_FURNITURE_MAX_CHARS or "。" in text:
        return None
    if _CJK_LEGAL.search(text):
        return "boilerplate:legal"
    if _CJK_PREV_NEXT.match(text) or _CJK_BREADCRUMB.search(text) or (len(text) <= 60 and _CJK_UI.match(text)):
        return "nav"
    return None


#: A line is Chinese or Japanese for the rules below when more than this share of its
#: characters are ideographs or kana (the `cjk_ratio` feature).
CJK_LINE_SHARE = 0.5


def _cjk_headline(text: str, row: list[float]) -> bool:
    """A Chinese or Japanese line that ends like a headline, not a sentence: on a closing
    quote, "！" or "？" with no full stop inside (Chinese headlines often do; prose ends on
    "。")."""
    return row[_COL["cjk_ratio"]] > CJK_LINE_SHARE and text.rstrip()[-1:] in "”」』！？!?" and "。" not in text


#: A Chinese or Japanese headline runs to 40 characters and more (English ones rarely pass
#: 20 words; 20 words are 34 characters as the features count Chinese).
CJK_HEADLINE_MAX_CHARS = 48


def _cjk_headline_length(text: str, row: list[float]) -> bool:
    """A Chinese or Japanese line short enough for a headline, with no full stop inside."""
    return row[_COL["cjk_ratio"]] > CJK_LINE_SHARE and len(text) <= CJK_HEADLINE_MAX_CHARS and "。" not in text


def _teaser_run(units: list[Unit], reasons: list[str], X: list[list[float]], words: list[float], j: int) -> None:
    """The teaser headlines from unit `j` on, under a "Related" / "Most Popular" heading,
    go with it: short units that do not end a sentence (Chinese and Japanese: headline
    endings and lengths, `_cjk_headline`, `_cjk_headline_length`). In Chinese and
    Japanese the run goes on over a repeated headline a rule already removed (a portal's
    lists repeat each other's headlines; in English a run so continued ran from a menu
    over a repeated button into the headline)."""
    c_ends, c_cjk = _COL["ends_sentence"], _COL["cjk_ratio"]
    n = len(units)
    while j < n and (reasons[j] == "repeated" and X[j][c_cjk] > CJK_LINE_SHARE or reasons[j] in _OPEN and (
            (words[j] <= 20 or _cjk_headline_length(units[j].text, X[j]))
            and (not X[j][c_ends] or _cjk_headline(units[j].text, X[j])))):
        if reasons[j] in _OPEN:
            reasons[j] = (X[j][c_cjk] and _cjk_furniture(units[j].text)) or "link_list"
        j += 1


def _context_rules(units: list[Unit], reasons: list[str], X: list[list[float]], judged: bool = False) -> None:
    """Rules that look at a unit and its neighbours; they only ever remove. `X`: the
    units' base feature rows as lists. `judged`: the units are the body of a previous
    pass, so the rules that a unit alone triggers (short cue lines, calls to action,
    navigation headings and their teasers, bare URLs, captions) cannot apply again.
    (The columns the rules read are taken out of `X` once, and each rule visits only
    the units it can apply to: 0.48 -> 0.37 ms a document on the first pass.)"""
    n = len(units)
    ntok = [row[_COL["log_tokens"]] for row in X]
    words = list(map(math.expm1, ntok))
    c_ends, c_subscribe, c_cjk = _COL["ends_sentence"], _COL["bp_subscribe"], _COL["cjk_ratio"]
    for i, u in enumerate(units if not judged else ()):
        if reasons[i] not in _OPEN:
            continue
        row = X[i]
        if (words[i] <= 5.5 or (words[i] <= 8.5 and not row[c_ends])) and any(map(row.__getitem__, _CUE_COLUMNS)):
            code = next(c for c in _CUE_SHORT if row[_COL[c]])
            reasons[i] = "boilerplate:" + code[3:]
        elif words[i] <= 60 and row[c_subscribe] and _CTA.search(u.text):
            reasons[i] = "boilerplate:subscribe"
        elif words[i] <= 5.5 and _nav_phrase(u.text):
            reasons[i] = "nav"
            _teaser_run(units, reasons, X, words, i + 1)
        elif row[c_cjk] and (furniture := _cjk_furniture(u.text)):
            reasons[i] = furniture
            # Below the article, the next article's headline may stand on the line after
            # "下一篇：", and more teasers after it.
            if _CJK_PREV_NEXT.match(u.text) and "body" in reasons[:i]:
                _teaser_run(units, reasons, X, words, i + 1)
    # A letter to the reader, from its salutation to its thanks and signature.
    for i, u in enumerate(units):
        if reasons[i] not in _OPEN or words[i] > 8 or not _APPEAL_OPEN.match(u.text):
            continue
        end = next((j for j in range(i + 1, min(n, i + APPEAL_MAX_UNITS)) if _APPEAL_CLOSE.match(units[j].text)), None)
        if end is None:
            continue
        k = end + 1
        while k < min(n, end + 1 + SIGNATURE_MAX_UNITS) and words[k] <= 12 and not X[k][c_ends]:
            k += 1
        for j in range(i, k):
            reasons[j] = "boilerplate:subscribe"
    # Lynx's reference list and bare links: a URL alone on a line is not prose (and has
    # the `url_like` feature).
    c_url = _COL["url_like"]
    for i, u in enumerate(units if not judged else ()):
        if X[i][c_url] and reasons[i] in _OPEN and _URL_ONLY.match(u.text):
            reasons[i] = "link_list"
    # Bulleted menus (w3m, lynx): runs of short bullet items before or after the prose.
    long_ = [i for i in range(n) if ntok[i] >= math.log1p(20)]
    c_bullet, item_max = _COL["bullet"], math.log1p(4)
    item = [bool(row[c_bullet] or u.bullet) and t <= item_max for row, u, t in zip(X, units, ntok)]
    if long_ and any(item):
        lo, hi = long_[0], long_[-1]
        i = 0
        while i < n:
            j = i
            while j < n and item[j]:
                j += 1
            if j - i >= 3 and (j <= lo or i > hi):
                for k in range(i, j):
                    if reasons[k] in _OPEN:
                        reasons[k] = "nav"
            i = max(j, i + 1)
    # Cookie banners run to screens of text; a privacy sentence inside one goes with it.
    c_cookie = _COL["bp_cookie"]
    for i in [i for i, row in enumerate(X) if row[c_cookie]]:
        if reasons[i] in _OPEN:
            near = sum(1 for j in range(max(0, i - 3), min(n, i + 4)) if reasons[j] == "boilerplate:cookie")
            if near >= 2:
                reasons[i] = "boilerplate:cookie"
    # Reader comments: from a comments heading after the body start, when comment marks
    # (author lines, comment times, reply buttons) follow it, to the end of the page.
    start = _comment_section(units, reasons)
    if start is not None:
        for j in range(start, n):
            if reasons[j] in _OPEN:
                reasons[j] = "boilerplate:comment"
    # A caption printed twice, once bare and once with its credit: both are captions.
    for i in [i for i in range(n - 1) if reasons[i + 1] == "caption"]:
        if reasons[i] in _OPEN:
            a, b = units[i].text.rstrip(" ."), units[i + 1].text
            if len(a) >= 20 and b.startswith(a):
                reasons[i] = "caption"


def _comment_section(units: list[Unit], reasons: list[str]) -> int | None:
    """Index of the heading that opens the page's reader comments, or None: the first
    `_COMMENTS_HEADING` after a kept unit that at least COMMENT_MIN_MARKS `_COMMENT_MARK`
    units follow within COMMENT_LOOKAHEAD units. Readers write prose, which the line model
    keeps; comment software frames it in marks no article has in such a run."""
    first = next((i for i, r in enumerate(reasons) if r == "body"), None)
    if first is None:
        return None
    for i in range(first + 1, len(units)):
        if len(units[i].text) <= 120 and _COMMENTS_HEADING.match(units[i].text):
            marks = sum(1 for u in units[i + 1:i + 1 + COMMENT_LOOKAHEAD] if _COMMENT_MARK.match(u.text))
            if marks >= COMMENT_MIN_MARKS:
                return i
    return None


#: (column, reason, whatever the length) of the cues that name a removed unit, in order.
_REMOVED_CUES = tuple((_COL[f"bp_{code}"], f"boilerplate:{code}", code == "cookie")
                      for code in ("cookie", "subscribe", "comment", "social", "legal"))


def _removed_reason(text: str, ntok: int, short_run: bool, row: np.ndarray) -> str:
    """Why the model dropped a unit, named by the first pattern that explains it."""
    for column, reason, any_length in _REMOVED_CUES:
        if row[column] and (ntok <= 25 or any_length):
            return reason
    if _nav_phrase(text) or (row[_COL["bp_nav"]] and ntok <= 6):
        return "nav"
    if short_run:
        return "link_list"
    return "short" if ntok < 4 else "low_score"


# --- model ------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def load_model(path: str = str(MODEL_PATH)) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


class _Forest(NamedTuple):
    """Stage two's complete depth-d trees (children of node i are 2i+1 and 2i+2; go
    right when x >= threshold), every node of every tree numbered globally (tree k's
    2**d - 1 nodes from k * (2**d - 1) on), for `_trees`."""
    base: float
    depth: int
    feature: np.ndarray  # per global node
    threshold: np.ndarray
    left: np.ndarray  # its left child's global number (the right child's is one more);
    # on the last level, its left leaf's index into `leaf`
    leaf: np.ndarray  # leaf values, tree k's 2**d from k * 2**d on
    root: np.ndarray  # the global number of each tree's root


def _forest(s2: dict[str, Any]) -> _Forest:
    feature = np.asarray(s2["feature"], dtype=np.intp)
    leaf = np.asarray(s2["leaf"])
    depth = int(s2["depth"])
    trees, nodes = feature.shape
    node = np.arange(nodes)
    last = node >= 2 ** (depth - 1) - 1  # the nodes whose children are leaves
    left = np.where(last, 2 * node + 1 - nodes + np.arange(trees)[:, None] * leaf.shape[1],
                    2 * node + 1 + np.arange(trees)[:, None] * nodes)
    return _Forest(float(s2["base"]), depth, feature.ravel(), np.asarray(s2["threshold"]).ravel(),
                   left.ravel().astype(np.intp), leaf.ravel(), np.arange(trees, dtype=np.intp) * nodes)


def _prepared(model: dict[str, Any]) -> tuple:
    cache = model.get("_np")
    if cache is None:
        s1 = model["stage1"]
        cache = (
            (np.asarray(s1["mean"]), np.asarray(s1["std"]), np.asarray(s1["coef"]), float(s1["bias"])),
            _forest(model["stage2"]),
        )
        model["_np"] = cache
    return cache


def _trees(forest: _Forest, X: np.ndarray) -> np.ndarray:
    """Probability from the stage-two trees, all trees at once: per level one flat
    `take` each of the nodes' features, thresholds and children (several times faster
    than 2-d fancy indexing). The nodes are numbered globally (`_Forest`), so a level
    costs six array operations on (rows, trees) and the root level two column ones; the
    node numbers are in range by construction, so the takes wrap instead of checking
    them (a quarter faster each). 1.22 -> 0.75 ms a document against per-tree node
    numbers (which cost an offset per take and the leaf numbering at the end)."""
    n, k = X.shape
    X = np.ascontiguousarray(X)
    x = X.ravel()
    row = (np.arange(n, dtype=np.intp) * k)[:, None]
    roots = forest.root
    node = forest.left.take(roots) + (X.take(forest.feature.take(roots), axis=1) >= forest.threshold.take(roots))
    for _ in range(forest.depth - 1):
        at = forest.feature.take(node, mode="wrap")
        at += row
        right = x.take(at, mode="wrap") >= forest.threshold.take(node, mode="wrap")
        node = forest.left.take(node, mode="wrap")
        node += right
    raw = forest.base + forest.leaf.take(node, mode="wrap").sum(axis=1)
    return 1.0 / (1.0 + np.exp(-np.clip(raw, -30, 30)))


def _lr(params: tuple, X: np.ndarray) -> np.ndarray:
    mu, sd, coef, bias = params
    z = ((X - mu) / sd) @ coef + bias
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


def _scores(X: np.ndarray, model: dict[str, Any]) -> np.ndarray:
    """Body probability of each unit from its feature rows (stage one, then stage two),
    by the model's uncased regime on a page without case evidence (`uncased_page`)."""
    if not len(X):
        return np.zeros(0)
    if "uncased" in model and uncased_page(X):
        model = model["uncased"]
    s1, s2 = _prepared(model)
    p1 = _lr(s1, X)
    return _trees(s2, np.hstack([stage2_features(p1), X]))


# --- title and date ---------------------------------------------------------------------

_SITE_SPLIT = re.compile(r"\s+[|–—\-:·•»]\s+")


def _toks(text: str) -> list[str]:
    return list(map(str.lower, _TOKEN.findall(text)))


@lru_cache(maxsize=8192)
def _heading_like(text: str) -> bool:
    if len(text) > 250:
        return False
    end = text.rstrip()
    if end.endswith((".", ",", ";", "。", "，", "；")) and not end.endswith("..."):
        return False
    words = _words(text)
    if not 2 <= words <= 30:
        return False
    if words <= 8 and has_date(text):
        return False
    return not (_has_caption(text) or _LINK_PREFIX.match(text) or has_boilerplate(text, "cookie"))


_IDEOGRAPH = re.compile("[\u4e00-\u9fff]")


def _ideographs(text: str) -> int:
    """How many CJK ideographs text holds (counted by the regex engine, not a Python loop
    over the characters: 11 -> 1.4 us for a paragraph of 500 characters)."""
    return 0 if text.isascii() else len(_IDEOGRAPH.findall(text))


def _words(text: str) -> int:
    """Word count; CJK, written without spaces, counts one word per two characters."""
    n = len(text.split())
    if not text.isascii():
        n = max(n, _ideographs(text) // 2)
    return n


def _is_prose(text: str) -> bool:
    return _ideographs(text) >= 25 or len(text.split()) >= 12


def _overlap(a: list[str], b: set[str]) -> float:
    return sum(map(b.__contains__, a)) / len(a) if a else 0.0


#: How find_title picks among headings when none resembles the page's first line:
#: "nearest" (the substantial heading closest to the body) or "first" (the first one).
TITLE_FALLBACK = "first"


def _head_limit(units: list[Unit], reasons: list[str]) -> int:
    """The first kept unit that is not a menu word (kept units of at most 3 words that
    are not heading-like): where the page head ends."""
    n = len(units)
    limit = 0
    while limit < n and (reasons[limit] != "body" or (
            _words(units[limit].text) <= 3 and not _heading_like(units[limit].text))):
        limit += 1
    return limit


def _rule_candidates(units: list[Unit], reasons: list[str]) -> list[int]:
    """The units `find_title` chooses from (see there)."""
    n = len(units)
    limit = _head_limit(units, reasons)
    cands = [i for i in range(min(limit, n)) if reasons[i] in _TITLE_FROM and _heading_like(units[i].text)]
    if limit < n and _heading_like(units[limit].text):
        # The next kept unit, past a kept date line ("12 March 2024" between headline and
        # lead, kept when the whole text reads as clean).
        nxt = next((j for j in range(limit + 1, n) if reasons[j] == "body"
                    and not (_words(units[j].text) <= 8 and has_date(units[j].text))), None)
        if nxt is not None and _is_prose(units[nxt].text):
            cands.append(limit)
    return cands


def find_title(units: list[Unit], reasons: list[str]) -> int | None:
    """Index of the headline unit, or None.

    Candidates are the heading-like units of the page head: before the first kept unit
    that is not a menu word (kept units of at most 3 words above the headline are menu
    items), plus that unit itself when prose follows it (a page opening with its
    headline). The headline is the candidate nearest the body that shares most of its
    words with the page's first line (html_text puts the <title> there); failing that,
    the nearest substantial heading (not a menu item, byline or one-word label).
    """
    cands = _rule_candidates(units, reasons)
    if not cands:
        return None
    first = set(_toks(_SITE_SPLIT.split(units[0].text)[0])) | set(_toks(units[0].text))
    similar = [i for i in cands if i > 0 and _overlap(_toks(units[i].text), first) >= 0.6
               and not re.search(r"\s[>›»/|]\s", units[i].text)]
    if similar:
        return similar[-1]
    good = [i for i in cands if len(_toks(units[i].text)) >= 3 or _ideographs(units[i].text) >= 6]
    good = [i for i in good if units[i].links < 2 and not (
        _nav_phrase(units[i].text) or _BYLINE.match(units[i].text)
        or has_boilerplate(units[i].text, "subscribe") or has_boilerplate(units[i].text, "social"))]
    if not good:
        return None
    return good[0] if TITLE_FALLBACK == "first" else good[-1]


_TITLE_FROM = ("short", "low_score", "body", "link_list")


# --- the learned headline chooser -----------------------------------------------------
#
# Every heading-like unit of the page head (up to a few units into the body) is a
# candidate, and so is every cut of the first line at a site separator ("Headline |
# Site", "Site - Headline"). A logistic regression over the candidate features below
# scores them; the best one is the headline when it scores at least the model's
# `min_score`, else the rules above decide (`find_title`). Weights:
# `cleaners/data/title_model.json`, made by `benchmarks/train_title.py`.

TITLE_MODEL_PATH = Path(__file__).resolve().parent / "data" / "title_model.json"

TITLE_FEATURES = (
    "first_line", "cut_tail", "cut_front", "cut_words", "cut_short", "seps_left",
    "log_words", "titlecase", "all_caps", "ends_mark", "equals_first", "prefix_of_first",
    "overlap_first", "found_below", "copies", "before_body", "after_body", "before_prose",
    "after_prose", "heads_between", "rel_pos", "log_pos", "prob", "prob_next", "meta_next",
    "reason_body", "reason_low", "reason_links", "reason_repeated", "reason_other", "links",
    "cue", "bullet", "rule_pick", "date_in", "crumb", "digits", "first_matched", "first_seps",
    "body_overlap", "overlap_gap", "isolated", "first_gap",
)
#: Candidates reach this many units past the first prose unit the model kept (the
#: headline sometimes follows a kept teaser or banner line), and start this many units
#: before it (besides the first line: on wcxb 99% of the true headlines that are not the
#: first line stand nearer, and the long menus above them are a third of the candidates).
TITLE_AFTER_PROSE = 4
TITLE_BEFORE_PROSE = 60
#: The body units whose words the headline is compared with.
TITLE_BODY_UNITS = 20
#: Units removed for these reasons are never the headline.
_NOT_TITLE = ("reading_time", "caption", "tags", "link", "boilerplate:cookie", "boilerplate:legal",
              "date", "title")
_TITLE_FEATURE_INDEX = {name: i for i, name in enumerate(TITLE_FEATURES)}


@lru_cache(maxsize=1)
def load_title_model(path: str = str(TITLE_MODEL_PATH)) -> dict[str, Any]:
    """The headline chooser's weights. A missing file raises like the line model's: the
    cleaner must not quietly fall back to the rules' (much worse) headlines."""
    model = json.loads(Path(path).read_text(encoding="utf-8"))
    if tuple(model["features"]) != TITLE_FEATURES:
        raise ValueError(f"{path}: features {model['features']} do not match TITLE_FEATURES; "
                         "re-run benchmarks/train_title.py")
    return model


class TitleCandidate(NamedTuple):
    index: int   # the unit
    text: str    # the headline it gives (the unit's text, or a cut of the first line)


_CRUMB = re.compile(r"\s[>›»/]\s")


def _key(text: str) -> str:
    return " ".join(unit_tokens(text))


def _separator_cuts(text: str) -> list[tuple[str, int, int, str]]:
    """(headline, segments dropped at the end, segments dropped at the front, dropped
    text) for each cut of a line (the first line, a heading) at its site separators."""
    seps = list(_SITE_SPLIT.finditer(text))
    out = []
    for m in seps:  # keep what stands before a separator
        head = text[: m.start()].strip()
        dropped = sum(1 for s in seps if s.start() >= m.start())
        if head:
            out.append((head, dropped, 0, text[m.end():]))
    if seps:  # "Site | Headline": keep what follows the first separator
        tail = text[seps[0].end():].strip()
        if tail:
            out.append((tail, 0, 1, text[: seps[0].start()]))
    return out


def _titlecase(text: str) -> float:
    alpha = upper = 0
    for w in text.split():
        c = w[0]
        if c.isalpha():
            alpha += 1
            upper += c.isupper()
    return upper / alpha if alpha else 0.0


def title_candidates(units: list[Unit], reasons: list[str], probs: np.ndarray,
                     X: list[list[float]], keys: list[str],
                     rule: int | None) -> tuple[list[TitleCandidate], np.ndarray]:
    """The headline candidates of a page and their features (rows in TITLE_FEATURES
    order). `reasons`: the verdicts before the headline is chosen; `probs`: the line
    model's body probabilities; `X`: the base feature rows; `keys`: normalised texts
    (`unit_tokens` joined); `rule`: the unit `find_title` chose."""
    n = len(units)
    if not n:
        return [], np.zeros((0, len(TITLE_FEATURES)))
    first_body = next((i for i, r in enumerate(reasons) if r == "body"), n)
    prose = next((i for i in range(first_body, n) if reasons[i] == "body" and _is_prose(units[i].text)),
                 first_body)
    end = min(n, prose + TITLE_AFTER_PROSE + 1)
    # A unit the first pass kept is a candidate where the rules would take it, and
    # between the page head (from the first unit the first pass removed) and the first
    # prose unit: the headline sits above the body; a body line is no candidate.
    kept_ok = {i for i in _rule_candidates(units, reasons) if reasons[i] == "body"}
    head = next((i for i, r in enumerate(reasons) if r != "body"), n)
    kept_ok.update(range(head + 1, prose + 1))
    heads = [i for i in (0, *range(max(1, prose - TITLE_BEFORE_PROSE), end))
             if i < end and reasons[i] not in _NOT_TITLE and (reasons[i] != "body" or i in kept_ok)
             and _heading_like(units[i].text)]
    # Heading-like units up to each position (for heads_between: how many stand between
    # a candidate and the prose).
    head_set = set(heads)
    heads_upto = np.cumsum([1 if i in head_set else 0 for i in range(end)])
    key_count = Counter(keys[1:])
    first_text = units[0].text
    first_key = keys[0]
    first_toks = set(first_key.split())
    cuts = _separator_cuts(first_text) if len(first_text) <= 400 and (
        reasons[0] != "body" or 0 in kept_ok) else []
    cut_keys = {_key(c[0]) for c in cuts if c[2] == 0}
    # How well the first line matches a heading further down (a <title> line repeats the
    # page's <h1>; a renderer's first visible text usually does not).
    first_matched = max((_overlap(keys[i].split(), first_toks) for i in heads if i > 0), default=0.0)
    first_seps = float(min(3, len(_SITE_SPLIT.findall(first_text))))
    # The words of the body's first paragraphs: a headline shares them, a menu rarely does.
    body_words: set[str] = set()
    taken = 0
    for i in range(first_body, n):
        if reasons[i] == "body":
            body_words.update(t for t in keys[i].split() if len(t) > 3)
            taken += 1
            if taken == TITLE_BODY_UNITS:
                break
    out: list[TitleCandidate] = []
    rows: list[list[float]] = []

    # Date, reading time and byline lines (meta_next: one follows the candidate).
    c_date, c_read = _COL["date_like"], _COL["reading_time"]
    meta = [bool(X[j][c_date] or X[j][c_read] or _BYLINE.match(units[j].text)) for j in range(min(n, end + 3))]

    c_title, c_digits, c_bullet = _COL["titlecase_ratio"], _COL["digit_ratio"], _COL["bullet"]
    c_subscribe, c_social = _COL["bp_subscribe"], _COL["bp_social"]

    def add(i: int, text: str, tail: int, front: int, dropped: str) -> None:
        whole = text == units[i].text
        k = keys[i] if whole else _key(text)
        if not k:
            return
        toks = k.split()
        content = [t for t in toks if len(t) > 3]
        between = 0.0
        if i < prose <= end:
            between = float(heads_upto[prose - 1] - heads_upto[i])
        r, x, u = reasons[i], X[i], units[i]
        copies = key_count.get(k, 0)
        dropped_words = _words(dropped) if dropped else 0
        row = [  # in TITLE_FEATURES order
            1.0 if i == 0 else 0.0,  # first_line
            float(min(tail, 3)),  # cut_tail
            float(front),  # cut_front
            math.log1p(dropped_words),  # cut_words
            1.0 if dropped and dropped_words <= 4 else 0.0,  # cut_short
            float(min(3, len(_SITE_SPLIT.findall(text)))),  # seps_left
            math.log1p(_words(text)),  # log_words
            x[c_title] if whole else _titlecase(text),  # titlecase
            1.0 if text.isupper() else 0.0,  # all_caps
            1.0 if text.rstrip()[-1:] in ("?", "!", ":") else 0.0,  # ends_mark
            1.0 if i > 0 and k == first_key else 0.0,  # equals_first
            1.0 if i > 0 and k in cut_keys else 0.0,  # prefix_of_first
            _overlap(toks, first_toks) if i > 0 else 0.0,  # overlap_first
            1.0 if i == 0 and copies else 0.0,  # found_below
            math.log1p(copies - (1 if i > 0 and keys[i] == k else 0)),  # copies
            math.log1p(max(0, first_body - i)),  # before_body
            1.0 if i > first_body else 0.0,  # after_body
            math.log1p(max(0, prose - i)),  # before_prose
            1.0 if i > prose else 0.0,  # after_prose
            math.log1p(between),  # heads_between
            i / n,  # rel_pos
            math.log1p(i),  # log_pos
            float(probs[i]),  # prob
            float(probs[i + 1]) if i + 1 < n else 0.0,  # prob_next
            1.0 if any(meta[i + 1:i + 4]) else 0.0,  # meta_next
            1.0 if r == "body" else 0.0,  # reason_body
            1.0 if r in ("low_score", "short") else 0.0,  # reason_low
            1.0 if r in ("link_list", "nav") else 0.0,  # reason_links
            1.0 if r == "repeated" else 0.0,  # reason_repeated
            1.0 if r.startswith("boilerplate") else 0.0,  # reason_other
            1.0 if u.links else 0.0,  # links
            1.0 if (x[c_subscribe] or x[c_social] or _nav_phrase(text) or _BYLINE.match(text))
            else 0.0,  # cue
            x[c_bullet],  # bullet
            1.0 if rule == i and (i > 0 or not front) else 0.0,  # rule_pick
            1.0 if has_date(text, FEATURE_DATE_RE) else 0.0,  # date_in
            1.0 if _CRUMB.search(text) else 0.0,  # crumb
            x[c_digits] if whole else sum(map(text.count, "0123456789")) / len(text),  # digits
            first_matched if i == 0 else 0.0,  # first_matched
            first_seps if i == 0 else 0.0,  # first_seps
            _overlap(content, body_words) if content else 0.0,  # body_overlap
            0.0,  # overlap_gap: below
            1.0 if u.blank_before and u.blank_after else 0.0,  # isolated
            0.0,  # first_gap: below
        ]
        out.append(TitleCandidate(i, text))
        rows.append(row)

    for i in heads:
        add(i, units[i].text, 0, 0, "")
        # A headline below the first line may carry the site or a tagline too ("Best
        # Movers in NYC 2025 | Top 19 Companies"): its cuts are candidates as well.
        if i > 0 and len(units[i].text) <= 400 and _SITE_SPLIT.search(units[i].text):
            for text, tail, front, dropped in _separator_cuts(units[i].text):
                if _heading_like(text):
                    add(i, text, tail, front, dropped)
    for text, tail, front, dropped in cuts:
        if _heading_like(text):
            add(0, text, tail, front, dropped)
    F = np.asarray(rows, dtype=float).reshape(len(rows), len(TITLE_FEATURES))
    if len(F):  # how far each candidate is from the best match with the body, the first line
        for col, gap in (("body_overlap", "overlap_gap"), ("overlap_first", "first_gap")):
            v = F[:, _TITLE_FEATURE_INDEX[col]]
            F[:, _TITLE_FEATURE_INDEX[gap]] = v - v.max()
    return out, F


def score_title_candidates(F: np.ndarray, model: dict[str, Any]) -> np.ndarray:
    """Probability that each candidate (feature rows F) is the headline."""
    if not len(F):
        return np.zeros(0)
    params = model.get("_np")
    if params is None:
        params = model["_np"] = (np.asarray(model["mean"]), np.asarray(model["std"]),
                                 np.asarray(model["coef"]), float(model["bias"]))
    return _lr(params, F)


def _rule_title(units: list[Unit], reasons: list[str]) -> tuple[int | None, str | None]:
    """The rule-based headline: `find_title`, the first line without a trailing site name."""
    t = find_title(units, reasons)
    if t is None:
        return None, None
    title = units[t].text
    if t == 0:  # the <title> line: drop a trailing " | Site name" / " - Site name"
        parts = _SITE_SPLIT.split(title)
        if len(parts) > 1 and len(_toks(" ".join(parts[:-1]))) >= 3:
            title = title[: title.rfind(parts[-1])].rstrip(" |–—-:·•»")
    return t, title


def learned_title(units: list[Unit], reasons: list[str], probs: np.ndarray, X: list[list[float]],
                  keys: list[str], model: dict[str, Any], rule: int | None) -> tuple[int | None, str | None]:
    """(unit index, headline text) of the best-scored candidate, or (None, None) when
    none scores at least the model's `min_score` (the rules choose then). Ties go to the
    earlier candidate, so the choice is deterministic."""
    cands, F = title_candidates(units, reasons, probs, X, keys, rule)
    if cands:
        p = score_title_candidates(F, model)
        b = int(np.argmax(p))
        if p[b] >= float(model["min_score"]):
            return cands[b].index, cands[b].text
    return None, None


_MONTH_NUM = {}
for _n, _names in enumerate((
    "jan january januar janvier enero janeiro gennaio stycznia января ιανουαρίου",
    "feb february februar février febrero fevereiro febbraio lutego февраля φεβρουαρίου",
    "mar march märz mars marzo março marca марта μαρτίου",
    "apr april avril abril aprile kwietnia апреля απριλίου",
    "may mai mayo maio maggio maja мая μαΐου",
    "jun june juni juin junio junho giugno czerwca июня ιουνίου",
    "jul july juli juillet julio julho luglio lipca июля ιουλίου",
    "aug august août agosto sierpnia августа αυγούστου",
    "sep sept september septembre septiembre setembro settembre września сентября σεπτεμβρίου",
    "oct october oktober octobre octubre outubro ottobre października октября οκτωβρίου",
    "nov november novembre noviembre novembro listopada ноября νοεμβρίου",
    "dec december dezember décembre diciembre dezembro dicembre grudnia декабря δεκεμβρίου",
), start=1):
    for _w in _names.split():
        _MONTH_NUM[_w] = _n
for _n, _names in enumerate(MONTHS_MORE_BY_NUMBER, start=1):
    for _w in _names.split():
        _MONTH_NUM.setdefault(_w, _n)


def parse_date(text: str) -> str | None:
    """The first date in text as ISO YYYY-MM-DD, or None (numeric d/m vs m/d: day
    first unless the first number cannot be a day... i.e. month first only when the
    second number is over 12)."""
    m = DATE_RE.search(text)
    if not m:
        return None
    s = m.group(0)
    nums = [int(x) for x in re.findall(r"\d+", s)]
    words = [w.lower().rstrip(".") for w in re.findall(r"[^\W\d_]+", s)]
    month = next((_MONTH_NUM[w] for w in words if w in _MONTH_NUM), None)
    try:
        if month is not None:
            year = next(n for n in nums if n > 31)
            day = next(n for n in nums if n <= 31)
            y, mo, d = year, month, day
        elif re.match(r"\d{4}", s):
            y, mo, d = nums[0], nums[1], nums[2]
        else:
            a, b, y = nums[0], nums[1], nums[2]
            if y < 100:
                y += 2000 if y < 70 else 1900
            d, mo = (b, a) if b > 12 or (a <= 12 and "/" in s) else (a, b)
        return _date(y, mo, d).isoformat()
    except (StopIteration, ValueError, IndexError):
        return None


#: Longer units are prose or teaser lists, not a date line.
DATE_LINE_MAX_CHARS = 120
#: A date line further from the body start must be mostly its date ("Published: May 3,
#: 2024", "May 3, 2024 · 5 min read"): at least this share of its characters.
DATE_LINE_SHARE = 0.4
#: Units the body-start window looks back and ahead (`find_date`).
DATE_BEFORE, DATE_AFTER = 15, 5
#: Units below the headline (and above it) `find_date` looks at when the window has no date.
DATE_BELOW_TITLE, DATE_ABOVE_TITLE = 10, 3
#: In the page-wide search a unit after the body start counts as this many units further
#: away: a date under the headline is the article's, one at the end often a comment's.
DATE_AFTER_PENALTY = 5
#: An update date is not the publication date: passed over when another date is found.
_UPDATED = re.compile(
    r"\b(?:updated?|modified|aktualisiert|mis à jour|actualizado|atualizado|aggiornato|"
    r"zaktualizowano|обновлено|ενημερώθηκε)\b", re.I)


def _dates(units: list[Unit], order: Iterable[int], share: float = 0.0) -> Iterator[tuple[int, str]]:
    """(unit index, ISO date) of the units in `order` that are at most DATE_LINE_MAX_CHARS
    long and hold a parseable date covering at least `share` of their characters."""
    for i in order:
        text = units[i].text
        if len(text) <= DATE_LINE_MAX_CHARS and has_date(text):
            if share and len(DATE_RE.search(text).group(0)) < share * len(text.strip()):
                continue
            iso = parse_date(text)
            if iso:
                yield i, iso


def find_date(units: list[Unit], first_body: int, title: int | None = None,
              page_wide: bool = True) -> tuple[int | None, str | None, bool]:
    """The publication date: (unit index, ISO date, whether the unit is a date line near
    the body start), or (None, None, False).

    In order, the first that gives a date:
    1. the units around the body start (DATE_BEFORE back, then DATE_AFTER ahead, nearest
       first), a date not marked as an update preferred;
    2. the units below the headline, then above it;
    3. (`page_wide`) the page's date lines (DATE_LINE_SHARE), nearest the body start
       first (DATE_AFTER_PENALTY), update dates left out.
    Measured on wcxb-articles' 588 dated dumps (html_text): the true date on 0.636 -> 0.707
    of them, a wrong one on 62 -> 72 (steps 2 and 3 and the update rule are new;
    benchmarks/eval_textdump.py prints it)."""
    n = len(units)
    lo, hi = max(0, first_body - DATE_BEFORE), min(n, first_body + DATE_AFTER)
    near = list(_dates(units, [*range(first_body - 1, lo - 1, -1), *range(first_body, hi)]))
    if near:
        i, iso = next((c for c in near if not _UPDATED.search(units[c[0]].text)), near[0])
        return i, iso, True
    if title is not None:
        below = range(title + 1, min(n, title + 1 + DATE_BELOW_TITLE))
        above = range(title - 1, max(-1, title - 1 - DATE_ABOVE_TITLE), -1)
        for i, iso in _dates(units, [*below, *above]):
            return i, iso, False
    if page_wide:
        maybe = [i for i, u in enumerate(units) if len(u.text) <= DATE_LINE_MAX_CHARS and MAYBE_DATE.search(u.text)]
        order = sorted(maybe, key=lambda i: abs(i - first_body) + (DATE_AFTER_PENALTY if i >= first_body else 0))
        for i, iso in _dates(units, order, share=DATE_LINE_SHARE):
            if not _UPDATED.search(units[i].text):
                return i, iso, False
    return None, None, False


# --- the cleaner -------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Pass:
    units: list[Unit]
    reasons: list[str]
    title: str | None
    date: str | None
    tokens: list[list[str]]
    keys: list[str]
    stops: frozenset[str]
    stop_scores: np.ndarray  # `stoplist_scores(tokens)`
    X: np.ndarray


class _Scored(NamedTuple):
    """Steps 1-3 of a pass: the units, what they were scored from, and the verdicts
    before the headline and date are taken."""
    split: Split  # input lines, units, and the lines the renderer normalisation dropped
    units: list[Unit]
    tokens: list[list[str]]
    stops: frozenset[str]
    stop_scores: np.ndarray  # `stoplist_scores(tokens)`
    X_full: np.ndarray  # feature rows (stage one's input)
    X: list[list[float]]  # the base feature rows as lists: the rules read single values
    keys: list[str]  # normalised texts (`unit_tokens` joined)
    probs: np.ndarray
    reasons: list[str]


def _score_and_judge(content: str, cfg: ExtractConfig, model: dict[str, Any],
                     prior: _Pass | None = None) -> _Scored:
    """Steps 1-3 on one text. `prior`: the previous pass, whose kept units are this
    text's units (their tokens and per-unit features are reused, not recomputed)."""
    split = None
    if prior is not None:
        kept = [i for i, r in enumerate(prior.reasons) if r == "body"]
        texts = [prior.units[i].text for i in kept]
        if content == "\n\n".join(texts):  # the prior pass's kept units (`clean_dump`)
            split = split_paragraphs(texts)
    split = split or split_dump(content)
    units = split.units
    tokens, reuse = None, None
    if prior is not None:
        if len(kept) == len(units) and all(prior.units[i].text == u.text for i, u in zip(kept, units)):
            tokens, reuse = [prior.tokens[i] for i in kept], (prior.stops, prior.X[kept])
            keys = [prior.keys[i] for i in kept]
            # The kept units' stop words are the prior text's less the removed units'
            # (fewer tokens to count: 0.34 -> 0.20 ms a document).
            removed = [t for t, r in zip(prior.tokens, prior.reasons) if r != "body"]
            stop_scores = prior.stop_scores - stoplist_scores(removed)
    if tokens is None:  # a first pass (or, defensively, units that do not map one to one)
        tokens = [unit_tokens(u.text) for u in units]
        keys = [" ".join(t) for t in tokens]
        stop_scores = stoplist_scores(tokens)
    X_full, stops = unit_features(units, tokens, reuse, keys, best_stoplist(stop_scores))
    probs = _scores(X_full, model)
    X = X_full[:, :len(BASE_FEATURES)].tolist()
    # An input every line of which reads as prose is an already clean body (the HTML
    # post-pass, or this cleaner's own output): only the rules remove from it.
    clean_input = bool(len(probs)) and float(probs.min()) >= cfg.dump_clean_min_score
    keep = np.ones(len(units), dtype=bool) if clean_input else probs >= cfg.dump_min_line_score
    # A later pass reads units that all passed the rules, and those that look at a unit
    # alone (its text and its own features, unchanged) pass them again: they are not
    # asked again (0.25 -> 0.12 ms a document).
    judged = reuse is not None
    reasons = _unit_reasons(units, keys, keep, X, judged)
    _context_rules(units, reasons, X, judged)
    if not keep.any() or not any(r == "body" for r in reasons):
        # Never return nothing when there is prose: keep the best-scored units.
        best = float(probs.max()) if len(probs) else 0.0
        for i, r in enumerate(reasons):
            if r == "" and best >= FALLBACK_MIN_SCORE and probs[i] >= FALLBACK_RATIO * best:
                reasons[i] = "body"
    _name_removed(units, reasons, X)
    return _Scored(split, units, tokens, stops, stop_scores, X_full, X, keys, probs, reasons)


def _unit_reasons(units: list[Unit], keys: list[str], keep: np.ndarray, X: list[list[float]],
                  judged: bool = False) -> list[str]:
    """Each unit's verdict from the model (`keep`) and the rules that look at the unit
    alone (`_rule_reason`): "body", "" (the model's not body) or the rule's reason.
    `judged`: the units are the body of a previous pass, so only "repeated" can apply."""
    keep = keep.tolist()
    last = len(units) - 1
    seen: set[str] = set()
    reasons: list[str] = []
    for i, u in enumerate(units):
        # Inside running prose (this unit and both its neighbours kept by the model) a
        # repeated short line is a label the article repeats ("Pros:", "Price"), not a
        # copy, and the model's verdict stands.
        inside = keep[i] and 0 < i < last and keep[i - 1] and keep[i + 1]
        repeated = bool(keys[i]) and keys[i] in seen and not inside
        seen.add(keys[i])
        if judged:
            rule = "repeated" if repeated and len(u.text) < 200 else None
        else:
            rule = _rule_reason(u.text, repeated, X[i])
        reasons.append(rule if rule is not None else "body" if keep[i] else "")
    return reasons


def _name_removed(units: list[Unit], reasons: list[str], X: list[list[float]]) -> None:
    """The reason of each unit the model removed and no rule named ("")."""
    gone = [i for i, r in enumerate(reasons) if r == ""]
    if not gone:
        return
    # Words as the features count them (Chinese and Japanese: characters / 1.7), not
    # space tokens, so a removed Chinese paragraph is not named a short link line.
    ntoks = [round(math.expm1(row[_COL["log_tokens"]])) for row in X]
    # Short units not kept, in each unit's window of five (naming a removed unit changes
    # none of these counts: one sum for all, not one per unit).
    short_out = np.array([r != "body" and t <= 6 for r, t in zip(reasons, ntoks)], dtype=np.int64)
    run = np.convolve(short_out, np.ones(5, dtype=np.int64))[2:len(units) + 2].tolist()
    for i in gone:
        reasons[i] = _removed_reason(units[i].text, ntoks[i], ntoks[i] <= 6 and run[i] >= 3, X[i])


def _has_page_head(reasons: list[str]) -> bool:
    """Whether the pass removed anything: a text kept whole has no page head to choose a
    headline from (and is this cleaner's own output: idempotence)."""
    return any(r != "body" for r in reasons)


def _take_title(s: _Scored, title_model: dict[str, Any] | None) -> str | None:
    """Step 4a: the headline, its unit's verdict set to ``title``; returns its text.

    The rules' headline goes, with the kept menu words above it and its copy at the
    body start. With `title_model` (the first pass: the whole page) the learned chooser
    then names the headline; when it picks another unit, that unit (and its copy at the
    body start) goes too and the rules' choice stays removed as a second headline. So
    this pass's body is the rules' body less the chosen headline."""
    units, reasons, keys = s.units, s.reasons, s.keys
    first_body = next((i for i, r in enumerate(reasons) if r == "body"), len(units))
    t, title = _rule_title(units, reasons)
    learned = (None, None)
    if title_model is not None and _has_page_head(reasons):
        learned = learned_title(units, reasons, s.probs, s.X, keys, title_model, t)
    if t is not None:
        reasons[t] = "title"
        for j in range(t):  # kept menu words above the headline are page furniture
            if reasons[j] == "body":
                reasons[j] = "nav"
        for j in range(first_body, min(len(units), first_body + 3)):
            if reasons[j] == "body" and keys[j] == keys[t]:
                reasons[j] = "title"
    if learned[0] is not None:
        if learned[0] != t:
            for j, r in enumerate(reasons):  # the rules' headline: a second headline now
                if r == "title":
                    reasons[j] = "short" if len(units[j].text) < 30 else "low_score"
        t, title = learned
        reasons[t] = "title"
        copies = (keys[t], _key(title))
        for j in range(first_body, min(len(units), first_body + 3)):
            if reasons[j] == "body" and keys[j] in copies:
                reasons[j] = "title"
    return title


def _take_date(s: _Scored, page_wide: bool = True) -> str | None:
    """Step 4b: the publication date (`find_date`), as ISO. A date line at the body start
    gets the verdict ``date`` (unless it is the headline or a long body line); a date
    found further away is reported and its unit left as it was judged."""
    units, reasons = s.units, s.reasons
    first_body = next((i for i, r in enumerate(reasons) if r == "body"), len(units))
    title = next((i for i, r in enumerate(reasons) if r == "title"), None)
    d, iso, at_start = find_date(units, first_body, title, page_wide)
    if at_start and reasons[d] != "title" and (reasons[d] != "body" or len(s.keys[d].split()) <= 12):
        reasons[d] = "date"
    return iso


def _one_pass(content: str, cfg: ExtractConfig, model: dict[str, Any],
              prior: _Pass | None = None,
              title_model: dict[str, Any] | None = None) -> tuple[Split, _Pass]:
    """Steps 1-4 on one text (see `_score_and_judge` for `prior`). `title_model`: the
    headline chooser's weights, used on a first pass only (None: the rules choose)."""
    s = _score_and_judge(content, cfg, model, prior)
    title = _take_title(s, title_model if prior is None else None)
    date = _take_date(s, page_wide=prior is None)
    return s.split, _Pass(s.units, s.reasons, title, date, s.tokens, s.keys, s.stops, s.stop_scores, s.X_full)


def title_candidates_of(content: str, cfg: ExtractConfig = ExtractConfig(), *,
                        model: dict[str, Any] | None = None) -> tuple[list[TitleCandidate], np.ndarray]:
    """The headline candidates of a dump and their features, as `clean_dump`'s first pass
    gives them to the learned chooser (none when that pass removes nothing): what
    `benchmarks/train_title.py` labels and fits."""
    s = _score_and_judge(content, cfg, model if model is not None else load_model())
    if not _has_page_head(s.reasons):
        return [], np.zeros((0, len(TITLE_FEATURES)))
    rule, _ = _rule_title(s.units, s.reasons)
    return title_candidates(s.units, s.reasons, s.probs, s.X, s.keys, rule)


def clean_dump(content: str, cfg: ExtractConfig = ExtractConfig(), *,
               model: dict[str, Any] | None = None,
               title_model: dict[str, Any] | Literal["shipped"] | None = "shipped") -> DumpResult:
    """Clean one text dump. `model` overrides the shipped line model, `title_model` the
    shipped headline chooser (None: the rules alone choose the headline); for training
    and tests."""
    model = model if model is not None else load_model()
    if title_model == "shipped":
        title_model = load_title_model()
    split, first = _one_pass(content, cfg, model, None, title_model)
    lines = split.lines
    verdict = dict(split.dropped)  # input line index -> reason
    owner: list[Unit] = []  # original unit of each unit of the current text
    for u, r in zip(first.units, first.reasons):
        for k in range(u.first, u.last + 1):
            verdict[k] = r
        if r == "body":
            owner.append(u)
    text = "\n\n".join(u.text for u, r in zip(first.units, first.reasons) if r == "body")
    title, date = first.title, first.date
    prior = first
    for _ in range(MAX_PASSES - 1):
        _, again = _one_pass(text, cfg, model, prior)
        if len(again.units) != len(owner):  # defensive: units must map one to one
            break
        if all(r == "body" for r in again.reasons):
            break
        kept_owner = []
        for u, src, r in zip(again.units, owner, again.reasons):
            if r == "body":
                kept_owner.append(src)
            else:
                if r == "title" and title is None:
                    title = again.title
                elif r == "date" and date is None:
                    date = again.date
                elif r in META_REASONS:  # a second headline or date line: not body either
                    r = "short" if len(u.text) < 30 else "low_score"
                for k in range(src.first, src.last + 1):
                    verdict[k] = r
        owner = kept_owner
        text = "\n\n".join(u.text for u, r in zip(again.units, again.reasons) if r == "body")
        prior = again
    reasons = list(map(verdict.get, range(len(lines)), repeat("blank", len(lines))))
    # tuple.__new__ builds the named tuples without calling their Python __new__: 2x faster.
    out = tuple(map(tuple.__new__, repeat(LineVerdict),
                    zip(range(len(lines)), lines, [r == "body" for r in reasons], reasons)))
    return DumpResult(text=text, title=title, date=date, lines=out)
