# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""Compiled versions of the character scans in :mod:`nlp.scan`.

Each function returns exactly what its reference in ``nlp/scan.py`` returns (tests/unit/nlp
compares them on arbitrary text). They read the characters of the ``str`` directly and
create a string only for a word that may be looked up, where the regex engine tests each
character with a function call and ``str.split`` makes a string of every word: several times
faster on listings. Every read of a character is bounded by its loop (0 <= index < length).

Character classes are those of the ``re`` module for ``str`` patterns: ``\\w`` is
``Py_UNICODE_ISALNUM`` or "_", ``\\d`` is ``Py_UNICODE_ISDECIMAL``, ``\\s`` (and
``str.split()``) is ``Py_UNICODE_ISSPACE``.
"""

from cpython cimport array
from cpython.unicode cimport Py_UNICODE_ISALNUM, Py_UNICODE_ISDECIMAL, Py_UNICODE_ISSPACE

import array as _array


cdef extern from "Python.h":
    int PyUnicode_KIND(object text)
    void* PyUnicode_DATA(object text)
    Py_UCS4 PyUnicode_READ(int kind, void* data, Py_ssize_t index) nogil


cdef inline Py_UCS4 _read(str text, Py_ssize_t index) noexcept:
    """``text[index]`` without the checks of ``str`` indexing (every caller keeps
    ``0 <= index < len(text)``)."""
    return PyUnicode_READ(PyUnicode_KIND(text), PyUnicode_DATA(text), index)


cdef array.array _Q = _array.array("q")  # the type of the offset arrays made here


cdef inline bint _alnum(Py_UCS4 ch) noexcept:
    """``[^\\W_]``: a character of a word, not "_"."""
    if ch < 128:
        return (48 <= ch <= 57) or (65 <= ch <= 90) or (97 <= ch <= 122)
    return Py_UNICODE_ISALNUM(ch)


cdef inline bint _letter(Py_UCS4 ch) noexcept:
    """``[^\\W\\d_]``: a character of a word, not a decimal digit, not "_"."""
    if ch < 128:
        return (65 <= ch <= 90) or (97 <= ch <= 122)
    return Py_UNICODE_ISALNUM(ch) and not Py_UNICODE_ISDECIMAL(ch)


cdef inline bint _decimal(Py_UCS4 ch) noexcept:
    if ch < 128:
        return 48 <= ch <= 57
    return Py_UNICODE_ISDECIMAL(ch)


cdef inline bint _space(Py_UCS4 ch) noexcept:
    return Py_UNICODE_ISSPACE(ch)


ctypedef bint (*_CharTest)(Py_UCS4) noexcept


cdef inline Py_ssize_t _run_end(str text, Py_ssize_t i, Py_ssize_t n, _CharTest test) noexcept:
    """The end of the run of characters from ``i`` on that pass ``test``."""
    while i < n and test(_read(text, i)):
        i += 1
    return i


cdef inline bint _digit_gap(Py_UCS4 ch) noexcept:
    """``[ \\t.\\-/]``"""
    return ch == 32 or ch == 9 or ch == 46 or ch == 45 or ch == 47


def number_hint(str text, frozenset words, Py_ssize_t min_len, Py_ssize_t max_len):
    """``re.search(r"\\d[ \\t.\\-/]{1,3}\\d(?!\\d)", text) is not None or not
    words.isdisjoint(text.split())``, for ``words`` of ``min_len`` to ``max_len``
    characters."""
    cdef Py_ssize_t i, k, n = len(text), start = -1
    cdef Py_UCS4 ch
    # Spaced digits first: a scan without any string created.
    for i in range(n):
        if not _decimal(_read(text, i)):
            continue
        k = 0
        while k < 4 and i + 1 + k < n and _digit_gap(_read(text, i + 1 + k)):
            k += 1
        # {1,3} is greedy and the gap characters are no digits: only the longest gap can
        # be followed by a digit.
        if 1 <= k <= 3 and i + 1 + k < n and _decimal(_read(text, i + 1 + k)) and (
                i + 2 + k >= n or not _decimal(_read(text, i + 2 + k))):
            return True
    for i in range(n + 1):
        if i < n and not _space(_read(text, i)):
            if start < 0:
                start = i
            continue
        if start >= 0:
            if min_len <= i - start <= max_len and text[start:i] in words:
                return True
            start = -1
    return False


def unit_run(str text, frozenset units, Py_ssize_t max_len):
    """True when four consecutive tokens of ``re.findall(r"[^\\W_]+(?:['’][^\\W_]+)?",
    text)`` are, lowercased, in ``units``: ASCII digits "0"-"9" and words of at most
    ``max_len`` characters (lowercasing never shortens a string)."""
    cdef Py_ssize_t i = 0, j, n = len(text), run = 0
    cdef Py_UCS4 ch
    cdef bint unit
    while i < n:
        if not _alnum(_read(text, i)):
            i += 1
            continue
        j = _run_end(text, i + 1, n, _alnum)
        if j + 1 < n and (_read(text, j) == u"'" or _read(text, j) == u"\u2019") \
                and _alnum(_read(text, j + 1)):
            j = _run_end(text, j + 2, n, _alnum)
        if j - i == 1:
            ch = _read(text, i)
            unit = 48 <= ch <= 57
        else:
            unit = j - i <= max_len and text[i:j].lower() in units
        if unit:
            run += 1
            if run >= 4:
                return True
        else:
            run = 0
        i = j
    return False


cdef inline bint _spacer(Py_UCS4 ch) noexcept:
    """``[ .\\-]``"""
    return ch == 32 or ch == 46 or ch == 45


def spaced_letters(str text, Py_ssize_t pos):
    """The start of ``re.compile(r"[ .\\-][^\\W\\d_][ .\\-][^\\W\\d_][ .\\-]").search(text,
    pos)``, or -1."""
    cdef Py_ssize_t p, n = len(text)
    if pos < 0:
        pos = 0
    for p in range(pos, n - 4):
        if (_spacer(_read(text, p)) and _letter(_read(text, p + 1)) and _spacer(_read(text, p + 2))
                and _letter(_read(text, p + 3)) and _spacer(_read(text, p + 4))):
            return p
    return -1


cdef inline bint _latin_letter(Py_UCS4 ch) noexcept:
    """``[A-Za-z\\u00c0-\\u024f]``"""
    return (65 <= ch <= 90) or (97 <= ch <= 122) or (0xC0 <= ch <= 0x24F)


def homoglyph_hint(str text, str homoglyphs):
    """``re.search("[" + homoglyphs + "](?:(?<=[A-Za-z\\u00c0-\\u024f].)|(?=[A-Za-z\\u00c0-
    \\u024f]))", text) is not None``: a look-alike next to a Latin letter (``homoglyphs``
    holds characters at or beyond U+0250 only)."""
    cdef Py_ssize_t p, n = len(text)
    cdef Py_UCS4 ch
    for p in range(n):
        ch = _read(text, p)
        if ch < 0x250:
            continue
        if ((p > 0 and _latin_letter(_read(text, p - 1)))
                or (p + 1 < n and _latin_letter(_read(text, p + 1)))) and ch in homoglyphs:
            return True
    return False


def leet_hint(str text):
    """``re.search(r"[013457@$](?:(?<=[^\\W\\d_].)(?=[^\\W\\d_])|(?<=\\$)(?=[^\\W\\d_]{2}))",
    text) is not None``: a leet character inside a word ("y0ung"), or "$" before two
    letters."""
    cdef Py_ssize_t p, n = len(text)
    cdef Py_UCS4 ch
    for p in range(n):
        ch = _read(text, p)
        if not (ch == u"0" or ch == u"1" or ch == u"3" or ch == u"4" or ch == u"5" or ch == u"7"
                or ch == u"@" or ch == u"$"):
            continue
        if p > 0 and _letter(_read(text, p - 1)) and p + 1 < n and _letter(_read(text, p + 1)):
            return True
        if ch == u"$" and p + 2 < n and _letter(_read(text, p + 1)) and _letter(_read(text, p + 2)):
            return True
    return False


def digit_runs(str text):
    """The spans of ``re.finditer(r"\\d+", text)``: runs of decimal digits (any script)."""
    cdef Py_ssize_t p = 0, q, n = len(text)
    cdef list out = []
    while p < n:
        if not _decimal(_read(text, p)):
            p += 1
            continue
        q = _run_end(text, p + 1, n, _decimal)
        out.append((p, q))
        p = q
    return out


cdef inline bint _phone_char(Py_UCS4 ch) noexcept:
    """``[\\d \\t().\\-/]``"""
    return (_decimal(ch) or ch == 32 or ch == 9 or ch == 40 or ch == 41 or ch == 46
            or ch == 45 or ch == 47)


def phone_core(str text, Py_ssize_t pos):
    """The span of ``re.compile(r"\\d[\\d \\t().\\-/]{4,24}\\d(?!\\d)").search(text, pos)``, or
    None: a digit, 4 to 24 digits or separators, and a digit that ends a run of digits."""
    cdef Py_ssize_t p, r, length, end, n = len(text)
    if pos < 0:
        pos = 0
    for p in range(pos, n):
        if not _decimal(_read(text, p)):
            continue
        r = 0  # characters of the class after p, as many as the repeat and a digit can use
        while r < 25 and p + 1 + r < n and _phone_char(_read(text, p + 1 + r)):
            r += 1
        # The repeat is greedy: the longest length whose next character is a digit that
        # no digit follows.
        length = r - 1 if r - 1 < 24 else 24
        while length >= 4:
            end = p + 1 + length
            if _decimal(_read(text, end)) and (end + 1 >= n or not _decimal(_read(text, end + 1))):
                return (p, end + 1)
            length -= 1
    return None


cdef inline bint _control(Py_UCS4 ch) noexcept:
    """``[\\x00-\\x08\\x0e-\\x1f\\x7f-\\x9f\\u200d\\u200b\\u200c\\u2060\\ufeff\\u00ad\\u180e]``"""
    if ch < 0xA0:
        return ch <= 8 or 0x0E <= ch <= 0x1F or ch >= 0x7F
    return (ch == 0xAD or ch == 0x180E or ch == 0x200B or ch == 0x200C or ch == 0x200D
            or ch == 0x2060 or ch == 0xFEFF)


def control_positions(str text):
    """The positions of control and zero-width characters: ``[m.start() for m in
    re.finditer("[\\x00-\\x08\\x0e-\\x1f\\x7f-\\x9f\\u200d\\u200b\\u200c\\u2060\\ufeff\\u00ad
    \\u180e]", text)]``."""
    cdef Py_ssize_t p, n = len(text)
    cdef list out = []
    for p in range(n):
        if _control(_read(text, p)):
            out.append(p)
    return out


cdef inline bint _emoji_base(Py_UCS4 ch) noexcept:
    """``[\\U0001f000-\\U0001faff\\u2600-\\u27bf\\u2b00-\\u2bff\\u2300-\\u23ff]``"""
    return ((0x1F000 <= ch <= 0x1FAFF) or (0x2600 <= ch <= 0x27BF) or (0x2B00 <= ch <= 0x2BFF)
            or (0x2300 <= ch <= 0x23FF))


def emoji_spans(str text):
    """The spans of ``re.finditer(EMOJI, text)``, EMOJI being ``[\\U0001f000-\\U0001faff
    \\u2600-\\u27bf\\u2b00-\\u2bff\\u2300-\\u23ff](?:[\\ufe0f\\U0001f3fb-\\U0001f3ff]|\\u200d
    [\\U0001f000-\\U0001faff\\u2600-\\u27bf])*``: an emoji with its variation selectors, skin
    tones and joined emoji."""
    cdef Py_ssize_t p = 0, q, n = len(text)
    cdef Py_UCS4 ch
    cdef list out = []
    while p < n:
        if not _emoji_base(_read(text, p)):
            p += 1
            continue
        q = p + 1
        while q < n:
            ch = _read(text, q)
            if ch == 0xFE0F or 0x1F3FB <= ch <= 0x1F3FF:
                q += 1
            elif ch == 0x200D and q + 1 < n and (0x1F000 <= _read(text, q + 1) <= 0x1FAFF
                                                 or 0x2600 <= _read(text, q + 1) <= 0x27BF):
                q += 2
            else:
                break
        out.append((p, q))
        p = q
    return out


cdef inline bint _odd_space(Py_UCS4 ch) noexcept:
    """A whitespace character other than " " that can remain after NFKC (nlp/normalise.py's
    _ODD_SPACES, but for two spaces in a row)."""
    return (ch == 10 or ch == 9 or ch == 13 or ch == 11 or ch == 12 or ch == 0x1680
            or ch == 0x2028 or ch == 0x2029)


def collapse_whitespace(str text, starts, ends):
    """nlp/normalise.py's whitespace step (see ``collapse_whitespace_py`` in nlp/scan.py):
    ``(text, starts, ends)`` with runs of whitespace collapsed and the ends stripped;
    ``starts`` and ``ends`` are arrays of "q" (or anything with that buffer)."""
    cdef Py_ssize_t n = len(text), p, q, k, m = 0, lead, trail
    cdef const long long[:] s_in = starts
    cdef const long long[:] e_in = ends
    cdef bint has_odd = False, newline
    cdef Py_UCS4 ch
    if s_in.shape[0] != n or e_in.shape[0] != n:
        raise ValueError(f"offset arrays of {s_in.shape[0]} and {e_in.shape[0]} entries for "
                         f"a text of {n} characters: one start and one end per character")
    for p in range(n):
        ch = _read(text, p)
        if _odd_space(ch) or (ch == 32 and p + 1 < n and _read(text, p + 1) == 32):
            has_odd = True
            break
    cdef list pieces = []
    cdef Py_ssize_t pos = 0
    cdef array.array s_out = array.clone(_Q, n, zero=False)
    cdef array.array e_out = array.clone(_Q, n, zero=False)
    cdef long long[:] so = s_out
    cdef long long[:] eo = e_out
    p = 0
    while p < n:
        ch = _read(text, p)
        if not (has_odd and _space(ch)):
            so[m] = s_in[p]
            eo[m] = e_in[p]
            m += 1
            p += 1
            continue
        q = _run_end(text, p + 1, n, _space)
        if q - p == 1 and ch == 32:  # a single space: no match of r"\s{2,}|[^\S ]"
            so[m] = s_in[p]
            eo[m] = e_in[p]
            m += 1
            p = q
            continue
        if p == 0 or q == n:  # dropped
            pieces.append(text[pos:p])
            pos = q
        else:
            newline = False
            for k in range(p, q):
                if _read(text, k) == 10:
                    newline = True
                    break
            if q - p == 1 and newline:  # a lone line break stays as it is
                so[m] = s_in[p]
                eo[m] = e_in[p]
                m += 1
                p = q
                continue
            pieces.append(text[pos:p])
            pieces.append(u"\n" if newline else u" ")
            pos = q
            so[m] = s_in[p]  # the run's first start and last end
            eo[m] = e_in[q - 1]
            m += 1
        p = q
    if pos:
        pieces.append(text[pos:])
        out = u"".join(pieces)
    else:
        out = text
    # One leading and one trailing space go (runs are single characters by now).
    lead = 0
    trail = m
    if m and (out[0] == u" " or out[m - 1] == u" "):
        lead = 1 if out[0] == u" " else 0
        trail = m - 1 if out[m - 1] == u" " and m - 1 >= lead else m
        out = out[lead:trail]
    if pos == 0 and lead == 0 and trail == n:
        return text, starts, ends  # nothing changed
    return out, s_out[lead:trail], e_out[lead:trail]
