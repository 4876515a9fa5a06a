"""Quantities stated in a listing: amounts of money, hours per day or week, days per week,
pay per hour, week or month, and stated ages; and phone numbers written to be hard to find.

Units, currencies and "per" words are concepts of the lexicon (their ``role``), so the
grammar here is the same for every language: ``70 timer om ugen``, ``70 hours a week``,
``70h/week``, ``12 часов в день``, ``60 kr i timen``, ``€10/h``, ``17 år``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .tokens import Token

__all__ = ["Quantity", "find_quantities", "parse_number"]

_UNITS = ("hour", "day", "week", "month", "year")
_RANGE = frozenset("-–—")
_LOOKAHEAD = 5
# Keys are folded (lowercase, accents stripped): "17år" is "17ar", "17años" "17anos".
_NUMBER_SUFFIX_RE = re.compile(
    r"^(\d{1,3})(h|t|timer|hrs|hours|yo|y|ar|arig|ani|lat|лет|г|"
    r"години|років|рокiв|anos|kr|dkk|eur|€|zł|zl|lei|lv|лв|грн|"
    r"руб)$"
)
_O_FOR_ZERO_RE = re.compile(r"^\d[\do]*o[\do]*$")
_AGE_SUFFIXES = frozenset(
    {"yo", "y", "ar", "arig", "ani", "lat", "лет", "г", "години", "років", "рокiв", "anos"}
)
_HOUR_SUFFIXES = frozenset({"h", "t", "timer", "hrs", "hours"})
_CURRENCY_SUFFIXES = {
    "kr": "DKK",
    "dkk": "DKK",
    "eur": "EUR",
    "€": "EUR",
    "zł": "PLN",
    "zl": "PLN",
    "lei": "RON",
    "lv": "BGN",
    "лв": "BGN",
    "грн": "UAH",
    "руб": "RUB",
}


@dataclass(frozen=True, slots=True)
class Quantity:
    name: str  # amount, hours_per_day, hours_per_week, days_per_week, pay_per_hour, ...
    low: float
    high: float
    currency: str | None
    first: int  # token indices, inclusive
    last: int


def parse_number(text: str) -> float | None:
    """``25.000`` and ``62,000`` -> thousands, ``7,5`` -> 7.5, ``1.500,00`` -> 1500.0; None if
    not a number. One separator before exactly three digits is a thousands separator."""
    if not text or not text[0].isdigit():
        return None
    text = text.replace(" ", "").replace("\u00a0", "").replace("\u202f", "")
    if text.isdigit():
        return float(text) if len(text) <= 9 else None
    groups = re.split(r"[.,]", text)
    if not all(g.isdigit() for g in groups):
        return None
    if len(groups) > 2 or (len(groups) == 2 and len(groups[1]) == 3):
        if all(len(g) == 3 for g in groups[1:]):
            return float("".join(groups))
        if len(groups[-1]) in (1, 2) and all(len(g) == 3 for g in groups[1:-1]):
            return float("".join(groups[:-1]) + "." + groups[-1])
        return None
    return float(groups[0] + "." + groups[1])


class _Roles:
    """What each token is for the grammar: a number, a unit, "per", a currency."""

    def __init__(self, tokens: list[Token], roles: Sequence[Mapping[str, str]]) -> None:
        self.tokens = tokens
        self.roles = roles

    def role(self, i: int, name: str) -> str | None:
        tok = self.tokens[i]
        if name == "per" and tok.text == "/":
            return "per"
        return self.roles[i].get(name)


def _number_at(roles: _Roles, i: int) -> tuple[float, str | None, str | None] | None:
    """The number at token ``i`` (with a glued unit or currency, "70h", "17yo", "500kr")."""
    tok = roles.tokens[i]
    if tok.is_number:
        value = parse_number(tok.text)
        return None if value is None else (value, None, None)
    if _O_FOR_ZERO_RE.match(tok.key):  # "3OO EUR": letters O for zeros
        value = parse_number(tok.key.replace("o", "0"))
        return None if value is None else (value, None, None)
    m = _NUMBER_SUFFIX_RE.match(tok.key)
    if m is None:
        return None
    suffix = m.group(2)
    value = float(m.group(1))
    if suffix in _AGE_SUFFIXES:
        return value, "year", None
    if suffix in _HOUR_SUFFIXES:
        return value, "hour", None
    return value, None, _CURRENCY_SUFFIXES.get(suffix)


def find_quantities(tokens: list[Token], roles: Sequence[Mapping[str, str]]) -> list[Quantity]:
    """Every quantity stated in ``tokens``; ``roles[i]`` are the lexicon roles of token i
    (``unit``, ``per``, ``per_unit``, ``currency``, ``age``, ``old``, ``range``,
    ``worktime``, ``experience``, and ``cost``: rent, fees or prices, whose amounts per
    period are not pay)."""
    r = _Roles(tokens, roles)
    found: list[Quantity] = []
    n = len(tokens)
    i = 0
    while i < n:
        tok = tokens[i]
        if not tok.is_number and (not tok.is_word or tok.key.isalpha()):
            i += 1  # no digit: no number
            continue
        parsed = _number_at(r, i)
        if parsed is None:
            i += 1
            continue
        low, unit, currency = parsed
        high = low
        j = i + 1
        if (
            j < n
            and tokens[j].text == "+"
            and tokens[j].start == tokens[i].end
            and unit is None
            and currency is None
            and 12 <= low <= 17
            and tokens[i].text.isdigit()
            and not (j + 1 < n and (roles[j + 1].get("currency") or roles[j + 1].get("unit")))
        ):
            found.append(Quantity("age", low, low, None, i, j))  # "15+": from 15 (a minor)
            i = j + 1
            continue
        # a range: "60-70", "60 to 70"
        if j + 1 < n and (tokens[j].text in _RANGE or r.role(j, "range")):
            nxt = _number_at(r, j + 1)
            if nxt is not None and nxt[0] >= low:
                high = nxt[0]
                unit = unit or nxt[1]
                currency = currency or nxt[2]
                j += 2
        # a currency just before the number: "€ 500", "DKK 500"
        if currency is None and i > 0 and r.role(i - 1, "currency"):
            currency = r.role(i - 1, "currency")
        first, last = i, j - 1
        period = None
        k = j
        while k < n and k < j + _LOOKAHEAD:
            tok = tokens[k]
            if not tok.is_word and tok.text not in "/.-" and not r.roles[k]:
                break
            if currency is None and r.role(k, "currency"):
                if k + 1 < n and tokens[k + 1].is_number:
                    break  # "4 on 4 off. £13 per hour": the sign belongs to the next number
                currency, last = r.role(k, "currency"), k
            elif unit is None and r.role(k, "unit"):
                unit, last = r.role(k, "unit"), k
            elif r.role(k, "per_unit"):
                period, last = r.role(k, "per_unit"), k
                while last + 1 < n and r.role(last + 1, "per_unit") == period:
                    last += 1  # the rest of "om ugen", "a week"
                break
            elif r.role(k, "per") and k + 1 < n:
                after = r.role(k + 1, "unit") or r.role(k + 1, "per_unit")
                if (
                    after is None
                    and k + 2 < n
                    and tokens[k + 1].is_word
                    and not tokens[k + 1].is_number
                ):
                    after = r.role(k + 2, "unit") or r.role(k + 2, "per_unit")  # "a week"
                    if after is not None:
                        k += 1
                if after is not None:
                    if unit is None and currency is None:
                        unit = after
                    else:
                        period = after
                    last = k + 1
                break
            elif r.role(k, "old") and unit in (None, "year") and currency is None:
                unit, last = "year", k
                while last + 1 < n and r.role(last + 1, "old"):
                    last += 1  # "y / o"
                break
            elif tok.is_word and not r.roles[k]:
                # one word between an amount and its period ("2000 euro net pe lună")
                if (
                    currency is not None
                    and period is None
                    and k + 2 < n
                    and (
                        r.role(k + 1, "per_unit")
                        or (
                            r.role(k + 1, "per")
                            and (r.role(k + 2, "unit") or r.role(k + 2, "per_unit"))
                        )
                    )
                ):
                    k += 1
                    continue
                if unit or currency:
                    break
            k += 1
        # a rate word right before the amount: "timeløn 90 kr", "timeløn kr 90"
        if period is None and i > 0:
            back = i - 1
            while back > 0 and r.role(back, "currency"):
                back -= 1
            if r.role(back, "per_unit") and (currency or unit is None):
                period = r.role(back, "per_unit")
                first = back
        if currency is not None:
            name = {
                "hour": "pay_per_hour",
                "week": "pay_per_week",
                "month": "pay_per_month",
                "day": "pay_per_day",
            }.get(period or "", "amount")
            if name != "amount" and _cost_before(r, i):
                name = "amount"  # rent, a fee or a price per month is not pay
            elif name == "amount" and any(r.role(b, "salary") for b in range(max(0, i - 3), i)):
                name = "pay"  # "salary from 1800 euro": pay, not a sum to be paid
            found.append(Quantity(name, low, high, currency, first, last))
        elif unit == "hour" and period in ("day", "week"):
            found.append(Quantity(f"hours_per_{period}", low, high, None, first, last))
        elif unit == "hour" and period is None and _shift_before(r, i):
            # "Jornadas de hasta 16 horas": a shift word before the hours; "Работно време от
            # 8 до 17 ч.": a range of clock times after a working-time word, 9 hours
            clock = (
                high > low
                and _worktime_before(r, i)
                and (
                    high - low >= 5
                    or len(tokens[last].text) <= 2
                    or any(t.text == ":" for t in tokens[i:last])
                )
            )
            hours = (high - low) if clock else high  # "de 9 a 14 h" vs "turnos de 10 a 12 horas"
            if 0 < hours <= 24:
                found.append(Quantity("hours_per_day", hours, hours, None, i, last))
        elif unit == "day" and period == "week":
            found.append(Quantity("days_per_week", low, high, None, first, last))
        elif (
            unit == "year"
            and 10 <= low <= 99
            and not _experience_near(r, i, last)
            and (
                (last > i and r.role(last, "old"))
                or parsed[1] == "year"
                or any(r.role(b, "age") for b in range(max(0, i - 3), i))
            )
        ):
            found.append(Quantity("age", low, high, None, first, last))
        elif (
            unit is None
            and 10 <= low <= 99
            and any(r.role(b, "age") for b in range(max(0, i - 3), i))
            and not _experience_near(r, i, last)
        ):
            found.append(Quantity("age", low, high, None, max(0, i - 1), i))
        i = max(j, i + 1)
    found.extend(_around_the_clock(tokens))
    found.extend(_working_time(r))
    found.extend(_name_and_age(tokens))
    found.extend(_derived_hours(found))
    return found


_AM_PM_RE = re.compile(r"^(\d{1,2})(am|pm)$")


def _clock(tokens: list[Token], i: int) -> tuple[float, int] | None:
    """A time of day at token ``i`` ("7", "07:30", "19.00", "8pm"): hours and the last
    token."""
    tok = tokens[i]
    m = _AM_PM_RE.match(tok.key)
    if m is not None and int(m.group(1)) <= 12:
        return int(m.group(1)) % 12 + (12 if m.group(2) == "pm" else 0), i
    if not tok.is_number or not tok.text.replace(".", "").replace(",", "").isdigit():
        return None
    parts = tok.text.replace(",", ".").split(".")
    if len(parts) > 2 or not parts[0].isdigit() or int(parts[0]) > 24:
        return None
    hours = float(parts[0]) + (
        int(parts[1]) / 60 if len(parts) == 2 and len(parts[1]) == 2 and int(parts[1]) < 60 else 0
    )
    last = i
    if (
        i + 2 < len(tokens)
        and tokens[i + 1].text == ":"
        and tokens[i + 2].is_number
        and len(tokens[i + 2].text) == 2
        and tokens[i + 2].text.isdigit()
    ):
        hours += int(tokens[i + 2].text) / 60
        last = i + 2
    return hours, last


def _working_time(r: _Roles) -> list[Quantity]:
    """Hours per day from a working time: "Arbejdstid 7-19", "working hours 11:00 to 23:00"
    (a range of times of day within four tokens after a working-time word)."""
    tokens, out = r.tokens, []
    n = len(tokens)
    for w in [k for k, roles in enumerate(r.roles) if roles.get("worktime")]:
        if not r.role(w, "worktime") or (w > 0 and r.role(w - 1, "worktime")):
            continue  # the first word of "working hours" only
        for i in range(w + 1, min(n, w + 8)):  # "Arbejdstid 7-19", "График 5/2 с 9 до 18"
            start = _clock(tokens, i)
            if start is None:
                continue
            j = start[1] + 1
            end = (
                _clock(tokens, j + 1)
                if j + 1 < n and (tokens[j].text in _RANGE or r.role(j, "range"))
                else None
            )
            if end is not None:
                after = range(end[1] + 1, min(n, end[1] + 4))
                if any(r.role(a, "per_unit") or r.role(a, "per") for a in after):
                    break  # "from 6 to 20 hours a week": a number of hours, not times
                if (
                    end[1] + 1 < n
                    and r.role(end[1] + 1, "unit") == "hour"
                    and len(tokens[end[1] + 1].text) > 2
                    and end[0] - start[0] < 5
                ):
                    break  # "turnos de 10 a 12 horas": a length, not times of day
                hours = end[0] - start[0]
                hours = hours + 24 if hours <= 0 else hours
                if 0 < hours <= 24:
                    out.append(Quantity("hours_per_day", hours, hours, None, i, end[1]))
                break
    return out


def _name_and_age(tokens: list[Token]) -> list[Quantity]:
    """A stated age after a name: "Grace, 17, single", "Ани, 19." (a capitalised word, a
    comma, a number from 13 to 60, then punctuation or the end)."""
    out = []
    for i in range(len(tokens) - 2):
        name, comma, number = tokens[i], tokens[i + 1], tokens[i + 2]
        if not (
            name.is_word
            and not name.is_number
            and name.text[:1].isupper()
            and comma.text == ","
            and number.is_number
            and number.text.isdigit()
        ):
            continue
        after = tokens[i + 3] if i + 3 < len(tokens) else None
        clock = (  # "Sunday, 15:00" is a time, not an age
            after is not None
            and after.text in ":."
            and i + 4 < len(tokens)
            and tokens[i + 4].text.isdigit()
        )
        if 13 <= int(number.text) <= 60 and (after is None or not after.is_word) and not clock:
            out.append(Quantity("age", float(number.text), float(number.text), None, i + 2, i + 2))
    return out


def _experience_near(r: _Roles, i: int, last: int) -> bool:
    """Whether an experience word stands within three words of the number: "10+ years of
    experience" is no age."""
    n = len(r.roles)
    return any(
        r.role(a, "experience")
        for a in (*range(max(0, i - 3), i), *range(last + 1, min(n, last + 4)))
    )


def _shift_before(r: _Roles, i: int) -> bool:
    """Whether a shift or working-time word stands within three words before ``i``
    ("Jornadas de hasta 16 horas", "vagter på 12 timer")."""
    return any(
        r.role(b, "per_unit") == "day" or r.role(b, "worktime")
        for b in range(max(0, i - 4), i)
        if r.tokens[b].is_word
    )


def _worktime_before(r: _Roles, i: int) -> bool:
    return any(r.role(b, "worktime") for b in range(max(0, i - 4), i))


COST_WORDS_BEFORE = 5


def _cost_before(r: _Roles, i: int) -> bool:
    """Whether a cost word stands among the few words before the amount at ``i``, in its
    sentence and with no pay word nearer: "husleje: 3000 kr om måneden", "наем 800 лв на
    месец", "Pokój możesz wynająć przez nas (2600 kr/mies.)"."""
    sentence = r.tokens[i].sentence
    words = 0
    back = i - 1
    while back >= 0 and words < COST_WORDS_BEFORE and r.tokens[back].sentence == sentence:
        if r.role(back, "salary"):
            return False
        if r.role(back, "cost"):
            return True
        if r.tokens[back].is_word and not r.role(back, "currency"):
            words += 1
        back -= 1
    return False


def _around_the_clock(tokens: list[Token]) -> list[Quantity]:
    """ "24/7" (hours a day) and "7/7" (days a week): "around_the_clock", which says when
    something is open or available, not how long anyone works."""
    out = []
    for i in range(len(tokens) - 2):
        if (
            tokens[i + 1].text == "/"
            and tokens[i].text in ("24", "7")
            and tokens[i + 2].text == "7"
        ):
            value = float(tokens[i].text)
            out.append(Quantity("around_the_clock", value, value, None, i, i + 2))
    return out


def _derived_hours(found: list[Quantity]) -> list[Quantity]:
    """Hours per week from hours per day times days per week, when both are stated."""
    days = [q for q in found if q.name == "days_per_week"]
    hours = [q for q in found if q.name == "hours_per_day"]
    if not days or not hours or any(q.name == "hours_per_week" for q in found):
        return []
    d, h = max(days, key=lambda q: q.high), max(hours, key=lambda q: q.high)
    return [
        Quantity(
            "hours_per_week",
            h.low * d.low,
            h.high * d.high,
            None,
            min(d.first, h.first),
            max(d.last, h.last),
        )
    ]
