"""Chat markup rendering: each markup element, escaping, and hostile/pathological input."""

import re
from html.parser import HTMLParser

import pytest

from rooms.formatting import MESSAGE_MAX_LENGTH, render_message

FORBIDDEN_TAGS = {
    "script",
    "style",
    "iframe",
    "object",
    "embed",
    "svg",
    "frame",
    "frameset",
    "base",
    "form",
    "meta",
    "link",
    "img",
    "maction",
    "noscript",
    "template",
}
URL_ATTRIBUTES = {"href", "src", "xlink:href", "action", "formaction", "data", "srcdoc", "poster"}
ALLOWED_SCHEMES = {"http", "https", "mailto"}
_INVISIBLE = re.compile(r"[\x00-\x20\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


class _Collector(HTMLParser):
    """Record every element and attribute the browser would see."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> _Collector:
    collector = _Collector()
    collector.feed(html)
    collector.close()
    return collector


def tags(html: str) -> list[str]:
    return [tag for tag, _ in parse(html).elements]


def attributes(html: str, tag: str) -> dict[str, str | None]:
    return next(dict(attrs) for name, attrs in parse(html).elements if name == tag)


def text(html: str) -> str:
    return "".join(parse(html).text)


def scheme_of(url: str) -> str | None:
    """The scheme a browser would use, or None for a scheme-less URL."""
    cleaned = _INVISIBLE.sub("", url).lower()
    scheme, colon, _ = cleaned.partition(":")
    if not colon or any(sep in scheme for sep in "/?#"):
        return None
    return scheme


def assert_safe(html: str) -> None:
    for tag, attrs in parse(html).elements:
        assert tag not in FORBIDDEN_TAGS, html
        for name, value in attrs:
            assert not name.startswith("on"), html
            if name in URL_ATTRIBUTES:
                assert scheme_of(value or "") in ALLOWED_SCHEMES, html


# --- markup ------------------------------------------------------------------------------------


def test_asterisks_render_strong():
    assert render_message("say *hello* now") == "say <strong>hello</strong> now"


def test_underscores_render_em():
    assert render_message("say _hello_ now") == "say <em>hello</em> now"


def test_tildes_render_del():
    assert render_message("say ~hello~ now") == "say <del>hello</del> now"


def test_spaced_asterisks_stay_literal():
    assert render_message("2 * 3 * 4") == "2 * 3 * 4"


def test_snake_case_underscores_stay_literal():
    assert render_message("call snake_case_name now") == "call snake_case_name now"


def test_unclosed_delimiter_stays_literal():
    assert render_message("*not bold") == "*not bold"


def test_empty_delimiters_stay_literal():
    assert render_message("** __ ~~") == "** __ ~~"


def test_nested_emphasis_renders_nested_tags():
    assert render_message("*bold _both_*") == "<strong>bold <em>both</em></strong>"


def test_crossed_delimiters_render_well_nested_html():
    assert render_message("*a _b* c_") == "<strong>a _b</strong> c_"


def test_emphasis_does_not_span_lines():
    assert "<strong>" not in render_message("*first\nsecond*")


def test_backticks_render_inline_code():
    assert render_message("run `ls -la` here") == "run <code>ls -la</code> here"


def test_inline_code_keeps_markup_literal():
    assert render_message("`*not bold* $x$`") == "<code>*not bold* $x$</code>"


def test_emphasis_wraps_inline_code():
    assert render_message("*see `x`*") == "<strong>see <code>x</code></strong>"


def test_fence_renders_pre_code():
    html = render_message("```\nfirst *line*\nsecond\n```")

    assert html == "<pre><code>first *line*\nsecond</code></pre>"


def test_fence_drops_language_line():
    assert render_message("```python\nprint(1)\n```") == "<pre><code>print(1)</code></pre>"


def test_fence_escapes_html():
    html = render_message("```\n<b>x</b>\n```")

    assert html == "<pre><code>&lt;b&gt;x&lt;/b&gt;</code></pre>"


def test_unclosed_fence_stays_literal():
    assert render_message("```\ncode") == "```<br>code"


def test_dollars_render_inline_mathml():
    html = render_message("area $x^2$ m")

    assert attributes(html, "math")["display"] == "inline"
    assert tags(html) == ["math", "mrow", "msup", "mi", "mn"]


def test_double_dollars_render_block_mathml():
    html = render_message("$$\\frac{a}{b}$$")

    assert attributes(html, "math")["display"] == "block"
    assert "mfrac" in tags(html)


def test_mathml_keeps_namespace():
    html = render_message("$x$")

    assert attributes(html, "math")["xmlns"] == "http://www.w3.org/1998/Math/MathML"


def test_mathml_keeps_presentation_attributes():
    html = render_message("$\\left(x\\right)$")

    assert attributes(html, "mo")["stretchy"] == "true"


def test_invalid_formula_renders_literal_code():
    assert render_message("$\\frac{$") == "<code>$\\frac{$</code>"


def test_invalid_block_formula_renders_literal_code():
    assert render_message("$$\\frac{$$") == "<pre><code>$$\\frac{$$</code></pre>"


def test_macro_definition_formula_renders_literal_code():
    assert render_message("$\\def\\a{x}\\a$") == "<code>$\\def\\a{x}\\a$</code>"


def test_dollar_prices_stay_literal():
    assert render_message("costs $5 and $10") == "costs $5 and $10"


def test_formula_text_html_is_escaped():
    html = render_message("$\\text{<b>x</b>}$")

    assert "b" not in tags(html)
    assert "<b>x</b>" in text(html)


def test_formula_href_is_dropped():
    html = render_message("$\\href{https://example.com}{x}$")

    assert all("href" not in dict(attrs) for _, attrs in parse(html).elements)


def test_formula_style_and_class_are_dropped():
    html = render_message("$\\style{color:red}{x}$ $\\class{big}{y}$")

    assert all(not {"style", "class"} & dict(attrs).keys() for _, attrs in parse(html).elements)


def test_newline_renders_br():
    assert render_message("one\ntwo") == "one<br>two"


def test_blank_line_renders_two_br():
    assert render_message("one\n\ntwo") == "one<br><br>two"


def test_crlf_renders_single_br():
    assert render_message("one\r\ntwo") == "one<br>two"


def test_surrounding_newlines_are_trimmed():
    assert render_message("\n\nhi\n") == "hi"


def test_url_renders_link():
    html = render_message("see https://example.com/path?q=1 now")

    assert attributes(html, "a")["href"] == "https://example.com/path?q=1"
    assert text(html) == "see https://example.com/path?q=1 now"


def test_link_opens_in_new_tab_without_referrer():
    html = render_message("http://example.com")

    link = attributes(html, "a")
    assert link["target"] == "_blank"
    assert set((link["rel"] or "").split()) == {"noopener", "noreferrer", "nofollow"}


def test_url_trailing_punctuation_is_not_linked():
    assert attributes(render_message("go to https://example.com."), "a")["href"] == (
        "https://example.com"
    )


def test_url_in_parentheses_excludes_closing_paren():
    html = render_message("(https://example.com/a_(b))")

    assert attributes(html, "a")["href"] == "https://example.com/a_(b)"


def test_url_inside_emphasis_excludes_delimiter():
    html = render_message("*https://example.com*")

    assert tags(html) == ["strong", "a"]
    assert attributes(html, "a")["href"] == "https://example.com"


def test_url_without_host_stays_text():
    assert render_message("http:// nothing") == "http:// nothing"


def test_non_http_scheme_stays_text():
    assert tags(render_message("ftp://example.com mailto:a@example.com")) == []


def test_html_tags_are_escaped():
    assert render_message("<b>x</b>") == "&lt;b&gt;x&lt;/b&gt;"


def test_entities_are_shown_literally():
    assert text(render_message("&amp; &#106;")) == "&amp; &#106;"


def test_null_bytes_are_removed():
    assert render_message("a\x00b") == "ab"


def test_empty_message_renders_empty():
    assert render_message("") == ""


def test_message_max_length_is_5000():
    assert MESSAGE_MAX_LENGTH == 5000


def test_overlong_message_is_capped():
    assert len(render_message("a" * (MESSAGE_MAX_LENGTH + 100))) == MESSAGE_MAX_LENGTH


# --- hostile input -----------------------------------------------------------------------------

HOSTILE_INPUTS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<img src="javascript:alert(1)">',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "javascript:alert(1)",
    'https://example.com/"onmouseover="alert(1)',
    "http://example.com'onmouseover='alert(1)",
    "https://example.com/<script>alert(1)</script>",
    "https://example.com/?q=<img src=x onerror=alert(1)>",
    "https://javascript:alert(1)@example.com",
    "&#106;avascript:alert(1)",
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="https://ok.example" onclick="alert(1)">x</a>',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">x</maction></math>',
    '<math href="javascript:alert(1)">x</math>',
    '<math><mi xlink:href="data:x,<script>alert(1)</script>">y</mi></math>',
    "$\\href{javascript:alert(1)}{x}$",
    "$$\\href{javascript:alert(1)}{x}$$",
    "$<script>$",
    "$$</math><script>alert(1)</script>$$",
    "$\\text{<img src=x onerror=alert(1)>}$",
    "$$\\text{</mtext></math><svg onload=alert(1)>}$$",
    '$\\unicode{x41"><img src=x onerror=alert(1)>}$',
    "$\\mathrm{\\unicode{x3c}script\\unicode{x3e}alert(1)}$",
    "$\\style{background:url(javascript:alert(1))}{x}$",
    '$\\class{x" onclick="alert(1)}{y}$',
    '$\\color{red" onload="alert(1)}{y}$',
    "$$\\begin{matrix}<script>&alert(1)\\end{matrix}$$",
    "$x$<script>alert(1)</script>$y$",
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button>x</button></form>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    "<body onload=alert(1)>",
    "<b onmouseover=alert(1)>unclosed",
    "<div><p><b><i><a href=javascript:alert(1)>nested",
    "<<script>script>alert(1)<</script>/script>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<!--<script>alert(1)-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<template><script>alert(1)</script></template>",
    '"><script>alert(1)</script>',
    "'';!--\"<XSS>=&{()}",
    "\uff1cscript\uff1ealert(1)\uff1c/script\uff1e",
    "\u202e<a href=javascript:alert(1)>x</a>",
    "java\x00script:alert(1) <scr\x00ipt>alert(1)</script>",
    '<a href="java\x00script:alert(1)">x</a>',
    "*<script>alert(1)</script>*",
    "_<img src=x onerror=alert(1)>_",
    "~<svg/onload=alert(1)>~",
    "`<script>alert(1)</script>`",
    "```\n<script>alert(1)</script>\n```",
    "```</code></pre><script>alert(1)</script>```",
    '*https://example.com/"onclick=alert(1)//*',
    "*_~`$<img src=x onerror=alert(1)>$`~_*",
]


@pytest.mark.parametrize("hostile", HOSTILE_INPUTS)
def test_hostile_input_renders_without_active_content(hostile):
    assert_safe(render_message(hostile))


def test_hostile_inputs_are_at_least_forty():
    assert len(HOSTILE_INPUTS) >= 40


def test_script_typed_by_user_is_visible_text():
    assert text(render_message("<script>alert(1)</script>")) == "<script>alert(1)</script>"


# --- pathological input ------------------------------------------------------------------------

PATHOLOGICAL_INPUTS = [
    "*" * MESSAGE_MAX_LENGTH,
    "$" * MESSAGE_MAX_LENGTH,
    "_" * MESSAGE_MAX_LENGTH,
    "~" * MESSAGE_MAX_LENGTH,
    "`" * MESSAGE_MAX_LENGTH,
    "\n" * MESSAGE_MAX_LENGTH,
    "*_~`$" * (MESSAGE_MAX_LENGTH // 5),
    "*a " * (MESSAGE_MAX_LENGTH // 3),
    "$a$ " * (MESSAGE_MAX_LENGTH // 4),
    "{" * MESSAGE_MAX_LENGTH,
    "$" + "{" * (MESSAGE_MAX_LENGTH - 2) + "$",
    "$$" + "\\sqrt" * 999 + "$$",
    "https://a" + ")" * (MESSAGE_MAX_LENGTH - 9),
    "```" * (MESSAGE_MAX_LENGTH // 3),
    "<" * MESSAGE_MAX_LENGTH,
]


@pytest.mark.parametrize("pathological", PATHOLOGICAL_INPUTS, ids=lambda s: repr(s[:8]))
def test_pathological_input_returns_a_string(pathological):
    assert isinstance(render_message(pathological), str)
