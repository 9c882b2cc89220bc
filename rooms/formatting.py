"""Chat markup to safe HTML for room messages.

Supported markup (Rocket.Chat style): ``*bold*``, ``_italic_``, ``~strike~``, `` `code` ``,
fenced ```` ``` ```` blocks, ``$inline$`` and ``$$block$$`` formulas (MathML via latex2mathml),
line breaks and bare http(s) links. Everything the user typed is escaped; the assembled HTML then
goes through ``nh3`` with an explicit allow-list as the last line of defence.
"""

import bisect
import html
import re
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element

import nh3
from latex2mathml.converter import convert_to_element

__all__ = ["MESSAGE_MAX_LENGTH", "render_message"]

MESSAGE_MAX_LENGTH = 5000

MATHML_NAMESPACE = "http://www.w3.org/1998/Math/MathML"

_MATHML_TAGS = frozenset(
    {
        "math",
        "mrow",
        "mi",
        "mn",
        "mo",
        "ms",
        "msup",
        "msub",
        "msubsup",
        "mfrac",
        "msqrt",
        "mroot",
        "mtext",
        "mspace",
        "mtable",
        "mtr",
        "mtd",
        "munder",
        "mover",
        "munderover",
        "mstyle",
        "semantics",
        "annotation",
        "mpadded",
        "mphantom",
        "menclose",
    }
)

# Presentation-only attributes; none of them is a URL, an event handler or free-form CSS.
_MATHML_ATTRIBUTES = frozenset(
    {
        "accent",
        "accentunder",
        "columnalign",
        "columnlines",
        "columnspacing",
        "depth",
        "displaystyle",
        "encoding",
        "fence",
        "form",
        "frame",
        "height",
        "largeop",
        "linebreak",
        "linethickness",
        "lspace",
        "mathbackground",
        "mathcolor",
        "mathsize",
        "mathvariant",
        "maxsize",
        "minsize",
        "movablelimits",
        "notation",
        "rowalign",
        "rowlines",
        "rowspacing",
        "rspace",
        "scriptlevel",
        "separator",
        "stretchy",
        "symmetric",
        "voffset",
        "width",
    }
)

_HTML_TAGS = frozenset({"a", "br", "code", "del", "em", "pre", "strong"})

_SANITIZER = nh3.Cleaner(
    tags=set(_HTML_TAGS | _MATHML_TAGS),
    clean_content_tags={
        "script",
        "style",
        "iframe",
        "object",
        "embed",
        "svg",
        "noscript",
        "template",
    },
    attributes={
        "a": {"href"},
        "math": {"xmlns"},
        **{tag: set(_MATHML_ATTRIBUTES) for tag in _MATHML_TAGS if tag != "math"},
    },
    tag_attribute_values={
        "math": {"display": {"block", "inline"}},
    },
    set_tag_attribute_values={"a": {"target": "_blank"}},
    link_rel="noopener noreferrer nofollow",
    url_schemes={"http", "https", "mailto"},
    url_relative="deny",
    strip_comments=True,
)

# C0/C1 controls (except tab and newline) have no business in a chat message and some
# browsers/parsers treat them inconsistently, which is what filter-evasion tricks rely on.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

_URL = re.compile(r"https?://[^\s<>\"'`\\]+", re.IGNORECASE)
_URL_TRAILING = frozenset(".,;:!?*_~")

# latex2mathml expands user-defined macros; refusing them rules out expansion bombs.
_LATEX_MACRO_DEFINITION = re.compile(
    r"\\(?:[egx]?def|let|(?:re)?newcommand|providecommand|(?:re)?newenvironment"
    r"|DeclareMathOperator)(?![A-Za-z])"
)
_NUMERIC_ENTITY = re.compile(r"&#(?:[xX]([0-9A-Fa-f]{1,6})|([0-9]{1,7}));")
_SAFE_ATTRIBUTE_VALUE = re.compile(r"[\w#.+\- %]{0,64}")

_EMPHASIS_TAGS = {"*": "strong", "_": "em", "~": "del"}
_FENCE = "```"
_BLOCK_MATH = "$$"
_LANGUAGE_LINE = re.compile(r"[A-Za-z0-9_+#.-]{1,32}\n")


class FormulaError(ValueError):
    """A formula latex2mathml cannot (or must not) convert."""


def render_message(text: str) -> str:
    """Render a chat message as sanitised HTML."""
    text = _normalise(text)
    return _SANITIZER.clean(_render_blocks(text))


def _normalise(text: str) -> str:
    """Cap the length, unify line endings and drop control characters."""
    # The caller enforces the limit; slicing here only bounds the work if it ever does not.
    text = text[:MESSAGE_MAX_LENGTH].replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL_CHARS.sub("", text).strip("\n")


# --- block level -------------------------------------------------------------------------------


def _render_blocks(text: str) -> str:
    """Split out fenced code and ``$$`` formulas; render the text between them line by line."""
    out: list[str] = []
    # Next known position of each opener; -1 once no further occurrence exists.  Caching keeps
    # the scan linear: every region of the text is searched at most once per delimiter.
    next_at = {_FENCE: text.find(_FENCE), _BLOCK_MATH: text.find(_BLOCK_MATH)}
    pos = 0
    text_start = 0
    while True:
        for delimiter, at in next_at.items():
            if 0 <= at < pos:
                next_at[delimiter] = text.find(delimiter, pos)
        candidates = [(at, d) for d, at in next_at.items() if at >= 0]
        if not candidates:
            break
        start, delimiter = min(candidates)
        body_start = start + len(delimiter)
        end = text.find(delimiter, body_start)
        if end < 0:
            # No closer anywhere after this opener, so none for any later opener either.
            next_at[delimiter] = -1
            continue
        body = text[body_start:end]
        if not body.strip():
            pos = start + len(delimiter)
            continue
        # A block element already breaks the line; the newlines around it would double it.
        out.append(_render_lines(text[text_start:start].removesuffix("\n")))
        if delimiter == _FENCE:
            out.append(_render_fence(body))
        else:
            out.append(_render_formula(body, display="block"))
        pos = text_start = end + len(delimiter)
        if text.startswith("\n", text_start):
            text_start += 1
    out.append(_render_lines(text[text_start:]))
    return "".join(out)


def _render_fence(body: str) -> str:
    """Render a fenced code block, dropping an optional language tag line."""
    language = _LANGUAGE_LINE.match(body)
    if language:
        body = body[language.end() :]
    body = body.removeprefix("\n").removesuffix("\n")
    return f"<pre><code>{html.escape(body)}</code></pre>"


def _render_lines(segment: str) -> str:
    """Render inline markup of each line and join the lines with ``<br>``."""
    if not segment:
        return ""
    return "<br>".join(_render_inline(line) for line in segment.split("\n"))


# --- inline level ------------------------------------------------------------------------------


def _render_inline(line: str) -> str:
    """Render code spans, inline formulas, links and emphasis within one line."""
    pieces: list[str] = []
    openers: list[tuple[int, str]] = []
    open_count = dict.fromkeys(_EMPHASIS_TAGS, 0)
    formula_closers = _formula_closers(line)
    buffer: list[str] = []

    def flush() -> None:
        if buffer:
            pieces.append(html.escape("".join(buffer)))
            buffer.clear()

    n = len(line)
    i = 0
    while i < n:
        char = line[i]
        previous = line[i - 1] if i else ""
        following = line[i + 1] if i + 1 < n else ""

        if char == "`":
            end = line.find("`", i + 1)
            if end > i + 1:
                flush()
                pieces.append(f"<code>{html.escape(line[i + 1 : end])}</code>")
                i = end + 1
                continue
        elif char == "$" and following and not following.isspace() and following != "$":
            index = bisect.bisect_left(formula_closers, i + 2)
            if index < len(formula_closers):
                end = formula_closers[index]
                flush()
                pieces.append(_render_formula(line[i + 1 : end], display="inline"))
                i = end + 1
                continue
        elif char in "hH" and not previous.isalnum():
            url = _match_url(line, i)
            if url:
                flush()
                escaped = html.escape(url)
                pieces.append(f'<a href="{escaped}">{escaped}</a>')
                i += len(url)
                continue
        elif char in _EMPHASIS_TAGS:
            can_open = bool(following) and not following.isspace() and not previous.isalnum()
            can_close = bool(previous) and not previous.isspace() and not following.isalnum()
            if can_open or can_close:
                flush()
                index = len(pieces)
                pieces.append(html.escape(char))
                if can_close and _close_emphasis(pieces, openers, open_count, char, index):
                    i += 1
                    continue
                if can_open:
                    openers.append((index, char))
                    open_count[char] += 1
                i += 1
                continue

        buffer.append(char)
        i += 1

    flush()
    return "".join(pieces)


def _close_emphasis(
    pieces: list[str],
    openers: list[tuple[int, str]],
    open_count: dict[str, int],
    char: str,
    index: int,
) -> bool:
    """Pair the closer at ``pieces[index]`` with the nearest opener of the same kind."""
    if not open_count[char]:
        return False
    depth = len(openers) - 1
    while openers[depth][1] != char:
        depth -= 1
    opener_index = openers[depth][0]
    if opener_index == index - 1:
        return False  # nothing between the delimiters
    # Unmatched openers inside the pair stay literal, which keeps the tags properly nested.
    for _, dropped in openers[depth:]:
        open_count[dropped] -= 1
    del openers[depth:]
    tag = _EMPHASIS_TAGS[char]
    pieces[opener_index] = f"<{tag}>"
    pieces[index] = f"</{tag}>"
    return True


def _formula_closers(line: str) -> list[int]:
    """Positions of ``$`` that may close an inline formula (sorted).

    Like Pandoc: the closer hugs the formula and is not followed by a digit, so prices such as
    "$5 and $10" stay text.
    """
    closers = []
    start = line.find("$")
    while start >= 0:
        previous = line[start - 1]
        following = line[start + 1 : start + 2]
        if (
            start
            and not previous.isspace()
            and previous not in "\\$"
            and not following.isdigit()
            and following != "$"
        ):
            closers.append(start)
        start = line.find("$", start + 1)
    return closers


def _match_url(line: str, start: int) -> str:
    """Return the bare http(s) URL starting at ``start``, without trailing punctuation."""
    match = _URL.match(line, start)
    if not match:
        return ""
    url = match.group()
    unbalanced = url.count(")") - url.count("(")
    end = len(url)
    while end:
        last = url[end - 1]
        if last in _URL_TRAILING:
            end -= 1
        elif last == ")" and unbalanced > 0:
            unbalanced -= 1
            end -= 1
        else:
            break
    url = url[:end]
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return ""
    return url if host else ""


# --- formulas ----------------------------------------------------------------------------------


def _render_formula(latex: str, *, display: str) -> str:
    """Render LaTeX as MathML; on any failure show the source in ``<code>``."""
    try:
        return _latex_to_mathml(latex, display=display)
    except Exception:  # latex2mathml raises many types, incl. RecursionError on deep nesting
        delimiter = "$$" if display == "block" else "$"
        literal = f"<code>{html.escape(f'{delimiter}{latex}{delimiter}')}</code>"
        return f"<pre>{literal}</pre>" if display == "block" else literal


def _latex_to_mathml(latex: str, *, display: str) -> str:
    """Convert LaTeX to MathML, re-serialising the tree ourselves.

    latex2mathml's own string output unescapes everything, so ``\\text{<script>}`` would come out
    as live markup; walking the element tree lets us escape text and keep only allowed
    tags and attributes.
    """
    if _LATEX_MACRO_DEFINITION.search(latex):
        raise FormulaError("macro definitions are not supported")
    return _serialise_mathml(convert_to_element(latex, display=display), display=display)


def _serialise_mathml(root: Element, *, display: str) -> str:
    """Serialise a latex2mathml element tree with an allow-list (iteratively, no recursion)."""
    out: list[str] = []
    # Stack items are either an element to open or a closing string (tag + tail text).
    stack: list[Element | str] = [root]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
            continue
        tag = item.tag if item.tag in _MATHML_TAGS else ""
        if tag == "math":
            out.append(f'<math xmlns="{MATHML_NAMESPACE}" display="{display}">')
        elif tag:
            out.append(f"<{tag}{_serialise_attributes(item)}>")
        out.append(_mathml_text(item.text))
        stack.append((f"</{tag}>" if tag else "") + _mathml_text(item.tail))
        stack.extend(reversed(list(item)))
    return "".join(out)


def _serialise_attributes(element: Element) -> str:
    """Allowed presentation attributes of ``element`` with conservative values."""
    return "".join(
        f' {name}="{html.escape(value)}"'
        for name, value in element.attrib.items()
        if name in _MATHML_ATTRIBUTES and _SAFE_ATTRIBUTE_VALUE.fullmatch(value)
    )


def _mathml_text(text: str | None) -> str:
    """Escape element text; latex2mathml writes symbols as numeric character references."""
    if not text:
        return ""
    return html.escape(_NUMERIC_ENTITY.sub(_decode_entity, text))


def _decode_entity(match: re.Match[str]) -> str:
    hexadecimal, decimal = match.groups()
    code_point = int(hexadecimal, 16) if hexadecimal else int(decimal)
    if (
        code_point > 0x10FFFF
        or 0xD800 <= code_point <= 0xDFFF
        or (code_point < 0x20 and code_point not in (0x9, 0xA))
        or 0x7F <= code_point <= 0x9F
    ):
        return "\ufffd"
    return chr(code_point)
