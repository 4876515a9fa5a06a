"""Language identification from scripts, letters and function words.

Every language is reported by its own ISO 639-1 code, or ``und`` when the evidence is thin
or two languages are too close to call. A supported language is reported only when its
evidence clearly beats every other language this module knows (by at least a word that only
it has, and by a fifth), including its neighbours
(Danish against Norwegian and Swedish, Russian against Ukrainian and Bulgarian, Spanish
against Portuguese and Italian), so a text is never given a supported language it is not in.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

__all__ = ["SUPPORTED", "LanguageGuess", "function_words", "identify", "most_function_words"]

SUPPORTED: tuple[str, ...] = ("da", "en", "ro", "bg", "pl", "uk", "es", "ru")
UNDETERMINED = "und"

# Function words (lowercase, accents kept): the commonest words of each language, which
# decide the language of short texts.
_FUNCTION_WORDS: dict[str, str] = {
    "da": "og er til med vi det ikke for på af en et at som har du den de der jeg kan vil skal "
    "eller fra om hos din dit dine man meget også men så efter hvis når her bliver blev "
    "blevet være været sig sin sit vores jer jeres hun han dig mig hende nu hvad hvor "
    "noget nogen nogle mellem uge uger løn arbejde arbejdet ansøgning virksomhed "
    "medarbejder medarbejdere mulighed uden gerne tilbyder ud op ind lidt gør siger "
    "sådan altså hvordan kun ingen dag måned søges søger timer kontakt ønsker samt "
    "hermed desuden derfor hver alle andre også os igen mod blive gøre tage give "
    "hjælp hjælpe penge rengøring mindst næste pige piger kvinder mænd ansat ansatte "
    "sælges købes sælge købe lejlighed dejlig dejlige søde kører hedder rejse rejsen tøj "
    "afhentes arbejder nyt ugen timeløn væk aftes løbet rigtig lige køb spørgsmål uddannet "
    "uddannede børn altid stadig især sprog tager tage giver gade køkken læs bedes kørekort "
    "ansøger ansøgeren "
    # typed without æ, ø and å
    "paa saa naar faar ogsaa maaske loen soeger soeges oensker maend vaere",
    "no": "og er til med vi det ikke for på av en et at som har du den de der jeg kan vil skal "
    "eller fra om hos din ditt dine man mye også men så etter hvis når her blir ble "
    "blitt være vært seg sin sitt våre dere hun han deg meg henne nå hva hvor noe noen "
    "mellom uke uker lønn arbeid arbeidet søknad virksomhet medarbeider medarbeidere "
    "mulighet uten gjerne tilbyr ut opp inn litt gjør sier ikkje eg kva ein eit jobb "
    "kun ingen dag måned søker timer kontakt ønsker hver alle andre oss igjen mot bli "
    "gjøre ta gi hjelp hjelpe penger rengjøring minst neste jente jenter kvinner menn "
    "ansatt ansatte",
    "sv": "och är till med vi det inte för på av en ett att som har du den de där jag kan vill "
    "ska eller från om hos din ditt dina man mycket också men så efter om när här blir "
    "var vara varit sig sin sitt våra hon han dig mig nu vad hur något några mellan "
    "vecka lön arbete ansökan företag medarbetare möjlighet utan gärna erbjuder ut upp "
    "in lite gör säger bara ingen dag månad söker timmar kontakt önskar varje alla",
    "en": "the and to of for with you we is are a an in on at be our your will have has this "
    "that it as or from by not no can all who they us do if any would there been was "
    "were he she his her what which when i me my get just about",
    "de": "der die das und ist nicht mit für ein eine einen auf sie es zu von den dem im ich "
    "wir auch sich des bei oder aus nach wie aber noch nur sind wird werden kann haben "
    "hat über unsere ihre sehr",
    "nl": "de het een en van is niet met voor op dat die zijn ik je we wij te aan als er maar "
    "ook bij naar om uit of door wordt worden kan heeft hebben onze deze",
    "fr": "le la les de des et est un une pour dans que qui pas en du au avec sur vous nous "
    "ce cette sont être par plus il elle ne se sa son ses leur aux",
    "it": "il la le di e è un una per che non con del della dei gli nel nella sono si da al "
    "alla ci mi ti questo questa anche come più lavoro",
    "pt": "o a os as de e é um uma para que não com do da dos das em no na por se mais "
    "você nós são ao como mas trabalho seu sua",
    "es": "el la de que y en los las para con un una por del al es se no su sus más como "
    "sin pero o si muy ya está este esta tu te le lo nos son hay todo trabajo buscamos "
    "ofrecemos vendo años horas contrato empresa puesto",
    "ro": "și si pentru este cu din la care de în un o să sa nu pe ce mai sunt fi ai am avem "
    "căutăm cautam lucru salariu fără fara după dupa sau prin acest această aceasta vă "
    "va vei oferim ne te le lor sunteti sunteți",
    "pl": "i w nie się sie na z do jest dla to że ze od po jak przez lub oraz ale tak być "
    "jesteś jestem są mamy oferujemy praca pracy szukamy bez wynagrodzenie tylko czy już "
    "juz który która które ich nas",
    "cs": "a je v na se s z do že to jsou není pro jak ale nebo také které který která jsme "
    "být bez práce práci už pouze",
    "sk": "a je v na sa s z do že to sú nie pre ako ale alebo aj ktoré ktorý ktorá sme byť "
    "bez práca prácu už iba",
    "hr": "i je u na se s za da to su ne od kao ali ili koji koja koje smo biti bez posao "
    "samo već što",
    "sl": "in je v na se s za da to so ne od kot ali ki smo biti brez delo samo že",
    "hu": "a az és egy hogy nem is van volt meg csak de ez azt ha már mint vagy ki mi el "
    "munka nagyon",
    "tr": "ve bir bu da de için ile ne çok daha ama gibi olarak var yok ben sen biz iş değil mi",
    "fi": "ja on ei se että hän oli ovat kanssa mutta tai kun myös vain niin jos työ",
    "lt": "ir yra ne kad su į iš už tai bet kaip arba jau tik darbas",
    "lv": "un ir ne ka ar uz no par tas bet kā vai jau tikai darbs",
    "et": "ja on ei et see ka kui aga või ning oma mis töö",
    "sq": "dhe në të një për me që nuk është si por nga ka janë punë",
    "tl": "ang ng sa mga na at ay para ito ako ka siya kami kayo hindi may trabaho",
    "id": "dan yang di ke dari ini itu dengan untuk tidak ada akan saya kami anda kerja",
    "ru": "и в не на что с по как это для от же но за вы мы из к у так все его она они "
    "только или было быть если уже работа работы нет есть мне вас нас опыт опыта "
    "зарплата месяц часов день без при ищем предлагаем требуется нужны этот эта "
    "эти наш ваш неделю месяца рублей "
    # words of ads and posts that Ukrainian and Bulgarian write otherwise
    "пишите звоните ждём ждем работаем девушки девушка девочки новые молодые каждый "
    "каждую сейчас деньги жильё жилье тоже можно который которые очень выходных",
    "uk": "і в не на що з та як це для від але за ви ми із до у так все його вона вони "
    "тільки або було бути якщо вже робота роботи немає є мені вас нас досвід "
    "зарплата місяць годин день без при шукаємо пропонуємо потрібні цей ця ці "
    "тиждень місяця гривень по я ти треба тут мене тебе щоб дуже років "
    # words of ads and posts that Russian and Bulgarian write otherwise
    "пишіть дзвоніть чекаємо працюємо працювати дівчата дівчина дівчат нові молоді кожен "
    "кожна кожного зараз гроші житло також який яка які вихідних",
    "bg": "и в не на че с по като това за от но вие ние към у така всички той тя те "
    "само или беше бъде ако вече работа няма има ми ви нас да се е са ще със във "
    "след още опит заплата месец часа ден без при който която които търсим "
    "предлагаме осигуряваме трябва веднага седмица месеца години всяка всеки нашия "
    "нашата вашия тази този тези евро лева лв работата заплатата "
    # words of ads and posts that Russian and Ukrainian write otherwise
    "пишете звънете обадете чакаме работим момичета момиче нови млади сега пари "
    "жилище също",
    "sr": "и у не на да се је са за од као али или који која које смо бити без посао само већ што",
    "mk": "и во не на да се е со за од како но или кој која кое сме без работа само веќе што ќе",
}
# In a Cyrillic text of some length, the letters a language cannot do without: Russian
# text without ы, э or ё, or Ukrainian without і, ї or є, is rarely what it seems; and
# Bulgarian has none of ы, э, і.
_NEEDED_LETTERS = {"ru": "ыэё", "uk": "іїє"}
_FORBIDDEN_LETTERS = {"bg": "ыэіїє", "ru": "іїєґ", "uk": "ыэёъ"}
_LETTER_CHECK_MIN = 60  # Cyrillic letters before absence counts
_LETTER_PENALTY = 0.3
# Letters that only some languages use: strong evidence for them.
_LETTERS: dict[str, str] = {
    "da": "æøå",
    "no": "æøå",
    "sv": "åäö",
    "de": "äöüß",
    "fi": "äö",
    "et": "äöüõ",
    "es": "ñ¿¡áéíóú",
    "pt": "ãõçáéíóúâêô",
    "fr": "çèêëœ",
    "it": "òù",
    "ro": "ăâîșşțţ",
    "pl": "ąęłśżźćń",
    "cs": "čřěůšž",
    "sk": "čľĺŕôšž",
    "hr": "čćđšž",
    "sl": "čšž",
    "hu": "őűöü",
    "tr": "ğışçöü",
    "lt": "ąčęėįšųūž",
    "lv": "āčēģīķļņšūž",
    "sq": "ëç",
    "ru": "ыэё",
    "uk": "іїєґ",
    "bg": "ъѝ",
    "sr": "ђћџјљњ",
    "mk": "ѓќѕјљњ",
    "be": "ў",
    "kk": "әғқңөұүһ",
}
_LETTER_WEIGHT = 0.6
_VIETNAMESE = frozenset("ơưđạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ")
# Scripts that name their language (the first code of the script's main language).
_SCRIPTS: tuple[tuple[int, int, str], ...] = (
    (0x0370, 0x03FF, "el"),
    (0x0530, 0x058F, "hy"),
    (0x0590, 0x05FF, "he"),
    (0x0600, 0x06FF, "ar"),
    (0x0900, 0x097F, "hi"),
    (0x0980, 0x09FF, "bn"),
    (0x0A00, 0x0A7F, "pa"),
    (0x0B80, 0x0BFF, "ta"),
    (0x0C00, 0x0C7F, "te"),
    (0x0D80, 0x0DFF, "si"),
    (0x0E00, 0x0E7F, "th"),
    (0x0E80, 0x0EFF, "lo"),
    (0x1000, 0x109F, "my"),
    (0x10A0, 0x10FF, "ka"),
    (0x1200, 0x137F, "am"),
    (0x1780, 0x17FF, "km"),
    (0x3040, 0x30FF, "ja"),
    (0xAC00, 0xD7AF, "ko"),
    (0x4E00, 0x9FFF, "zh"),
)
_PERSIAN = frozenset("پچژگ")
_URDU = frozenset("ٹڈڑںے")

MIN_EVIDENCE = 2.0  # a language needs this much evidence to be named
MIN_LEAD = 1.0  # ... this much more than the runner-up (a word only it has)
MARGIN = 1.2  # ... and this many times the runner-up's
# Another supported language is active too (a listing with a paragraph in a second
# language) when its evidence reaches this much, and this share of the winner's.
SECONDARY_MIN = 4.0
SECONDARY_SHARE = 0.4
_WORD_LIMIT = 400  # words looked at

_WEIGHTS: dict[str, list[tuple[str, float]]] = {}
for _lang, _words in _FUNCTION_WORDS.items():
    for _w in set(_words.split()):
        _WEIGHTS.setdefault(_w, []).append((_lang, 1.0))
for _w, _pairs in _WEIGHTS.items():  # a word shared by k languages gives each 1/k
    _WEIGHTS[_w] = [(lang, 1.0 / len(_pairs)) for lang, _ in _pairs]
_LETTER_LANGS: dict[str, list[str]] = {}
for _lang, _chars in _LETTERS.items():
    for _ch in _chars:
        _LETTER_LANGS.setdefault(_ch, []).append(_lang)


_FUNCTION_SETS = {lang: frozenset(words.split()) for lang, words in _FUNCTION_WORDS.items()}


def function_words(lang: str) -> frozenset[str]:
    """The function words of ``lang`` (empty for a language this module does not know)."""
    return _FUNCTION_SETS.get(lang, frozenset())


def most_function_words(words: list[str]) -> int:
    """How many of ``words`` (lowercase, accents kept) are function words of the language
    that has the most of them."""
    return max(sum(w in known for w in words) for known in _FUNCTION_SETS.values())


@lru_cache(maxsize=100_000)
def _word_evidence(word: str) -> tuple[str, tuple[tuple[str, float], ...], int]:
    """A word's script, the languages its function words and letters point to, and how
    many Vietnamese letters it has (computed once per word)."""
    code = ord(word[0])
    if code < 0x0250:
        script = "latin"
    elif 0x0400 <= code <= 0x04FF:
        script = "cyrillic"
    else:
        script = next((lang for lo, hi, lang in _SCRIPTS if lo <= code <= hi), "other")
        if script == "ar":
            if _PERSIAN.intersection(word):
                script = "fa"
            elif _URDU.intersection(word):
                script = "ur"
    evidence = list(_WEIGHTS.get(word, ()))
    vietnamese = 0
    if not word.isascii():
        for ch in word:
            if ch in _VIETNAMESE:
                vietnamese += 1
            evidence.extend((lang, _LETTER_WEIGHT) for lang in _LETTER_LANGS.get(ch, ()))
    return script, tuple(evidence), vietnamese


def _cyrillic_letters(words: list[str], scores: dict[str, float]) -> None:
    """Lower the evidence of Cyrillic languages whose must-have letters are missing from, or
    whose impossible letters are in, a text long enough to tell."""
    cyrillic = [w for w in words if w and "\u0400" <= w[0] <= "\u04ff"]
    letters = "".join(cyrillic)
    present = set(letters)
    if len(letters) >= _LETTER_CHECK_MIN:
        for lang, needed in _NEEDED_LETTERS.items():
            if lang in scores and not present.intersection(needed):
                scores[lang] *= _LETTER_PENALTY
    for lang, forbidden in _FORBIDDEN_LETTERS.items():
        if lang in scores and present.intersection(forbidden):
            scores[lang] *= _LETTER_PENALTY
    # Bulgarian writes the soft sign only before "о" ("шофьор"); Russian and Ukrainian after
    # any consonant ("Беларусь", "мать").
    if "bg" in scores and any(("ь" in w and "ьо" not in w) for w in cyrillic):
        scores["bg"] *= _LETTER_PENALTY


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    lang: str  # an ISO 639-1 code, or "und"
    confidence: float  # the winner's share of all evidence, 0..1
    # other supported languages with evidence (for "und": every candidate)
    also: tuple[str, ...] = field(default=())

    @property
    def supported(self) -> bool:
        return self.lang in SUPPORTED


def _script_language(counts: Counter[str]) -> str | None:
    total = sum(counts.values())
    if not total:
        return None
    script, n = counts.most_common(1)[0]
    if script in ("latin", "cyrillic") or n < 0.5 * total:
        return None
    return script


def identify(words: list[str]) -> LanguageGuess:
    """The language of a text given its lowercase words (the tokenizer's words, accents
    kept); see the module documentation."""
    words = words[:_WORD_LIMIT]
    scripts: Counter[str] = Counter()
    scores: dict[str, float] = defaultdict(float)
    vietnamese = 0
    for word in words:
        if word[0].isdigit():
            continue
        script, evidence, viet = _word_evidence(word)
        scripts[script] += 1
        vietnamese += viet
        for lang, weight in evidence:
            scores[lang] += weight
    by_script = _script_language(scripts)
    if by_script is not None:
        return LanguageGuess(by_script if by_script != "other" else UNDETERMINED, 1.0)
    if scripts["cyrillic"] > scripts["latin"]:
        _cyrillic_letters(words, scores)
    if vietnamese >= 2:
        scores["vi"] += 2.0 * vietnamese
    positive = Counter({lang: score for lang, score in scores.items() if score > 0})
    if not positive:
        return LanguageGuess(UNDETERMINED, 0.0)
    ranked = positive.most_common()
    best, top = ranked[0]
    second = ranked[1][1] if len(ranked) > 1 else 0.0
    total = sum(positive.values())
    also = tuple(
        lang
        for lang, score in ranked[1:]
        if lang in SUPPORTED and score >= max(SECONDARY_MIN, SECONDARY_SHARE * top)
    )
    # (a word shared by three languages gives each a third: sums of such are inexact)
    if top < MIN_EVIDENCE or top - second < MIN_LEAD - 1e-9 or top < MARGIN * second:
        # undetermined: the supported languages with any evidence are the candidates
        candidates = tuple(lang for lang, _score in ranked if lang in SUPPORTED)
        return LanguageGuess(UNDETERMINED, round(top / total, 3), candidates)
    return LanguageGuess(best, round(top / total, 3), also)
