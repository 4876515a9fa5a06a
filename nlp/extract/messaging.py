"""Contact points: e-mail addresses (also "name (at) domain (dot) com"), URLs and bare
domains, and messenger handles ("WhatsApp: +45 ...", "Telegram @anna", "t.me/anna")."""

from __future__ import annotations

import re
from collections.abc import Iterator

from indicator_lists.matcher.normalise import Normalised

from .phone_numbers import phone_value

__all__ = ["emails", "handles", "urls"]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# --- e-mail ----------------------------------------------------------------------

_EMAIL_RE = re.compile(
    r"(?<![\w.+-])([A-Za-z0-9][A-Za-z0-9._%+-]{0,63})@([A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*"
    r"\.[A-Za-z]{2,24})(?![\w-])"
)
_AT = r"(?:\s*[\(\[\{<]\s*(?:at|snabel-?a)\s*[\)\]\}>]\s*|\s+(?:at|snabel-?a)\s+)"
_DOT = r"(?:\s*[\(\[\{<]\s*(?:dot|punktum|punkt|kropka|punct)\s*[\)\]\}>]\s*|\s+dot\s+|\.)"
_EMAIL_OBFUSCATED_RE = re.compile(
    rf"(?<![\w.])([A-Za-z0-9][A-Za-z0-9._+-]{{0,63}}){_AT}"
    rf"([A-Za-z0-9-]{{1,63}}(?:{_DOT}[A-Za-z0-9-]{{1,63}})*){_DOT}([A-Za-z]{{2,24}})(?!\w)",
    re.IGNORECASE,
)
_DOT_SPLIT_RE = re.compile(_DOT, re.IGNORECASE)
_OBFUSCATION_HINTS = ("at)", "at]", "at}", "at>", " dot ", "dot)", "dot]", "snabel")
_BRACKET_RE = re.compile(r"[\(\[\{<]")
_COMMON_TLDS = _words(
    "com dk net org eu ro pl bg ua es uk de se no info biz io me co app online site xyz ru fr it "
    "nl be at ch cz hu gr tr us ca"
)


def emails(original: str) -> Iterator[tuple[str, int, int]]:
    if "@" in original:
        for m in _EMAIL_RE.finditer(original):
            yield f"{m.group(1)}@{m.group(2)}".lower(), m.start(), m.end()
    low = original.lower()
    if not any(hint in low for hint in _OBFUSCATION_HINTS):
        return
    for m in _EMAIL_OBFUSCATED_RE.finditer(original):
        matched = m.group()
        if "@" in matched:
            continue
        if not _BRACKET_RE.search(matched) and "dot" not in matched.lower():
            continue  # "look at www.site.com" is prose, not an address
        tld = m.group(3).lower()
        if tld not in _COMMON_TLDS:
            continue
        labels = [p for p in _DOT_SPLIT_RE.split(m.group(2)) if p]
        domain = ".".join([*labels, tld])
        yield f"{m.group(1)}@{domain}".lower(), m.start(), m.end()


# --- URLs ----------------------------------------------------------------------

# Bare domains need a TLD that is not also a short word ("work.It is", "go.to").
_BARE_TLDS = _COMMON_TLDS - {"me", "no", "at", "be", "it", "us", "co", "to", "in", "do", "es"}
_TLD_ALT = "|".join(sorted(_BARE_TLDS, key=len, reverse=True))
_URL_RE = re.compile(
    r"\b(https?)://([A-Za-z0-9.-]{1,253}(?::\d{1,5})?)([/?#][^\s<>\"'`]*)?"
    rf"|(?<![@\w.-])((?:www\.)?(?:[A-Za-z0-9-]{{1,63}}\.)+(?-i:{_TLD_ALT}))\b"
    r"((?:/[^\s<>\"'`]*)?)",
    re.IGNORECASE,
)
# Where a URL may be; it starts with ":" or ".", which the regex engine looks for quickly.
_URL_HINT_RE = re.compile(rf"://|\.(?:{_TLD_ALT})\b")
_TRAILING_PUNCT = ".,;:!?)]}'\""


def urls(original: str) -> Iterator[tuple[str, int, int]]:
    if not _URL_HINT_RE.search(original):
        return
    for m in _URL_RE.finditer(original):
        if m.group(1):
            scheme, host, path = m.group(1).lower(), m.group(2).lower(), m.group(3) or ""
        else:
            scheme, host, path = "http", m.group(4).lower(), m.group(5) or ""
            if host.split(".")[0].isdigit():
                continue
        start, end = m.start(), m.end()
        while path and path[-1] in _TRAILING_PUNCT:
            path = path[:-1]
            end -= 1
        host = host.rstrip(".")
        if not host or "." not in host:
            continue
        yield f"{scheme}://{host}{path}", start, end


# --- handles ----------------------------------------------------------------------

_APPS = {
    "whatsapp": "whatsapp",
    "whats app": "whatsapp",
    "wa": "whatsapp",
    "watsapp": "whatsapp",
    "telegram": "telegram",
    "tg": "telegram",
    "telegramm": "telegram",
    "signal": "signal",
    "snapchat": "snapchat",
    "snap": "snapchat",
    "sc": "snapchat",
    "viber": "viber",
    "instagram": "instagram",
    "insta": "instagram",
    "ig": "instagram",
}
_SHORT_APPS = frozenset({"wa", "tg", "sc", "ig", "snap", "signal", "insta"})
# Run on lowercased text; the boundary before the name is checked in Python.
_APP_RE = re.compile(
    "(" + "|".join(sorted(map(re.escape, _APPS), key=len, reverse=True)) + r")(?!\w)"
)
_UNLEET = str.maketrans("013457$", "oieasts")
_LEET_RE = re.compile(r"[a-z][013457$][a-z]")
_HANDLE_AFTER_RE = re.compile(
    r"(?P<sep>[ \t]*(?:[:=\-–>]+|\b(?:on|på|pe|na|en|id|user(?:name)?)\b)?[ \t]*)"
    r"(?P<user>@?[A-Za-z][A-Za-z0-9_.]{2,31})(?![\w@])",
    re.IGNORECASE,
)
_HANDLE_URL_RE = re.compile(
    r"(?:https?://)?(?:www\.)?(?P<site>t\.me|telegram\.me|wa\.me|instagram\.com|"
    r"snapchat\.com/add|signal\.me/#p)/(?P<user>\+?[A-Za-z0-9_.]{3,32})",
    re.IGNORECASE,
)
_USER_RE = re.compile(r"@?[A-Za-z][A-Za-z0-9_.]{2,31}")
_SITE_APP = {
    "t.me": "telegram",
    "telegram.me": "telegram",
    "wa.me": "whatsapp",
    "instagram.com": "instagram",
    "snapchat.com/add": "snapchat",
    "signal.me/#p": "signal",
}
_NOT_HANDLES = _words(
    "me and or og eller me or for the and at to på pe na ved via app number nummer nr tlf phone "
    "telefon contact kontakt only kun"
)
_PHONE_WINDOW = 40
# Words allowed between an app name and its phone number ("WhatsApp or Viber on +45 ...").
_CONNECTORS = _words(
    "or eller og and on på pe na sau și si lub i o y или або nr no number nummer numer tlf tel "
    "phone telefon me us at via"
)
_LETTERS_RE = re.compile(r"[^\W\d_]+")


def handles(
    original: str, norm: Normalised, phones: list[tuple[str, int, int]], region: str
) -> Iterator[tuple[str, int, int]]:
    text = norm.text
    low = text.lower()
    if len(low) != len(text):  # a few characters lowercase to two ("İ")
        low = "".join(ch if len(ch.lower()) != 1 else ch.lower() for ch in text)
    yield from _handle_urls(original, region)
    # "T3l3gr4m" read as "telegram" (same length, the same offsets)
    names = low.translate(_UNLEET) if _LEET_RE.search(low) else low
    for m in _APP_RE.finditer(names):
        if m.start() > 0 and (names[m.start() - 1].isalnum() or low[m.start() - 1] in "_@/."):
            continue
        name = m.group(1)
        app = _APPS[name]
        a_start, a_end = norm.to_original(m.start(), m.end())
        # A phone number right after the app name ("WhatsApp: +45 20 55 12 34").
        near = [
            p
            for p in phones
            if a_end <= p[1] <= a_end + _PHONE_WINDOW and _only_connectors(original[a_end : p[1]])
        ]
        if near:
            value, _, p_end = min(near, key=lambda p: p[1])
            yield f"{app}:{value}", a_start, p_end
            continue
        after = _HANDLE_AFTER_RE.match(text, m.end())
        if after is None:
            continue
        user = after.group("user").rstrip(".")
        sep = after.group("sep").strip()
        if user.lower().lstrip("@") in _NOT_HANDLES or user.lower().lstrip("@") in _APPS:
            continue
        if not user.startswith("@") and not sep:
            continue  # "signal strength": an ordinary word after the app name
        if name in _SHORT_APPS and not (user.startswith("@") or sep in (":", "=")):
            continue
        u_start = after.start("user")
        o_start, u_end = norm.to_original(u_start, u_start + len(user))
        original_user = original[o_start:u_end]
        if _USER_RE.fullmatch(original_user):
            user = original_user
        yield f"{app}:@{user.lstrip('@').lower()}", a_start, u_end


def _handle_urls(original: str, region: str) -> Iterator[tuple[str, int, int]]:
    low = original.lower()
    if not any(site in low for site in _SITE_APP):
        return
    for m in _HANDLE_URL_RE.finditer(original):
        app = _SITE_APP[m.group("site").lower()]
        user = m.group("user").rstrip(".")
        if user.startswith("+") or user.isdigit():
            value = phone_value(user, region, True)  # a messenger link names a phone
            if value is None:
                continue
            yield f"{app}:{value}", m.start(), m.start("user") + len(user)
        else:
            yield f"{app}:@{user.lower()}", m.start(), m.start("user") + len(user)


def _only_connectors(between: str) -> bool:
    return all(w.lower() in _CONNECTORS or w.lower() in _APPS for w in _LETTERS_RE.findall(between))
