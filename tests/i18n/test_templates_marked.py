"""Every user-facing string in our templates goes through the translation machinery."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.template.base import Lexer, TokenType

ROOT = Path(settings.BASE_DIR)

# Where text sits in HTML that a person reads: element text and these attributes.
READ_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "aria-description", "label"}
# Text that needs no translation: symbols, single-letter style marks, product and format names.
ALLOWED = {"B", "I", "S", "PDF", "JPEG", "PNG", "GIF", "WebP", "MB", "KB"}
# A template token (tag, variable, comment) or translated text stands here in the HTML.
HOLE = "\x00"
WORD = re.compile(r"[^\W\d_]{2,}")
# Literals a variable tag shows as text when its value is empty.
SHOWN_LITERAL = re.compile(r"\|(?:default|default_if_none|yesno):([\"'])(.*?)\1")


def template_files() -> list[Path]:
    folders = [ROOT / "templates"]
    folders += [
        path
        for path in ROOT.glob("*/templates")
        if path.parent.name not in {".venv", "tests", "node_modules"}
    ]
    folders += list(ROOT.glob("integrations/*/templates"))
    # JavaScript templates (the widget loader) carry their text in `{% translate %}` variables;
    # what is left is code.
    return sorted(
        path for folder in folders for path in folder.rglob("*") if path.suffix in {".html", ".txt"}
    )


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style"}:
            self._skip += 1
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value:
                self.found.append(value)
        if tag == "input" and dict(attrs).get("type") in {"submit", "button", "reset"}:
            self.found.append(dict(attrs).get("value") or "")

    def handle_endtag(self, tag):
        if tag in {"script", "style"} and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.found.append(data)


def unmarked_strings(source: str) -> list[str]:
    """Text a reader sees that is neither a template token nor inside a translate block."""
    html: list[str] = []
    depth = {"blocktranslate": 0, "comment": 0, "verbatim": 0}
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0] if token.contents else ""
            if name in {"blocktranslate", "blocktrans"}:
                depth["blocktranslate"] += 1
            elif name in {"endblocktranslate", "endblocktrans"}:
                depth["blocktranslate"] -= 1
            elif name in {"comment", "verbatim"}:
                depth[name] += 1
            elif name in {"endcomment", "endverbatim"}:
                depth[name[3:]] -= 1
            html.append(HOLE)
        elif token.token_type == TokenType.VAR:
            # A literal shown when the value is empty counts where it lands: text, a title...
            shown = [literal for _quote, literal in SHOWN_LITERAL.findall(token.contents)]
            html.append(HOLE + HOLE.join(shown) + HOLE)
        elif token.token_type == TokenType.COMMENT or any(depth.values()):
            html.append(HOLE)
        else:
            html.append(token.contents)
    collector = _TextCollector()
    collector.feed("".join(html))
    collector.close()
    problems = []
    for text in collector.found:
        for piece in text.split(HOLE):
            piece = " ".join(piece.split())
            words = WORD.findall(piece)
            if words and not set(words) <= ALLOWED:
                problems.append(piece)
    return problems


def test_the_checker_finds_unmarked_text_and_accepts_marked_text():
    assert unmarked_strings("<p>Take it!</p>") == ["Take it!"]
    assert unmarked_strings('<a title="Close">x</a>') == ["Close"]
    assert unmarked_strings('<p>{{ name|default:"Agent" }}</p>') == ["Agent"]
    assert unmarked_strings('<p data-state="{{ state|default:"none" }}"></p>') == []
    marked = (
        '{% load i18n %}<p title="{% translate "Close" %}">{% translate "Take it!" %}</p>'
        "{% blocktranslate %}Hello {{ name }}{% endblocktranslate %}{# a note #}"
        '<b>B</b> · {{ name|default:_("Agent") }} {{ when|date:"H:i" }} &#10148;'
        "<script>var label = 'code, not text';</script>"
    )
    assert unmarked_strings(marked) == []


@pytest.mark.parametrize("path", template_files(), ids=lambda path: str(path.relative_to(ROOT)))
def test_template_has_no_unmarked_user_facing_text(path):
    problems = unmarked_strings(path.read_text(encoding="utf-8"))

    assert problems == [], f"{path.relative_to(ROOT)}: wrap these in {{% translate %}}: {problems}"


def test_templates_that_translate_load_i18n():
    missing = [
        str(path.relative_to(ROOT))
        for path in template_files()
        if re.search(r"{%\s*(translate|blocktranslate|trans|blocktrans)\b", path.read_text())
        and not re.search(r"{%\s*load\s[^%]*\bi18n\b", path.read_text())
    ]

    assert missing == []
