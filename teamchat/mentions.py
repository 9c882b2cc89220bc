"""`@username` and `@here` in team chat messages: which names a text mentions, and marking them
in the HTML that `rooms.formatting.render_message` produced."""

import html
import re

HERE = "here"

# Django user names are letters, digits and . + - _ (and @, which cannot follow a mention).
_MENTION = re.compile(r"(?<![\w@.+-])@([\w][\w.+-]*)")
_TAG = re.compile(r"(<[^>]*>)")
# Inside these, an @ is code or part of a link: never a mention.
_SKIP = {"code", "pre", "a", "math"}


def _names(matches: list[str]) -> list[str]:
    names: list[str] = []
    for raw in matches:
        name = raw.rstrip(".+-").lower()
        if name and name not in names:
            names.append(name)
    return names


def mentioned_names(text: str) -> list[str]:
    """The lower-cased names mentioned in the text, each once ("here" included), in order.

    A mention inside `code` or a fenced block counts too; only the highlighting skips those.
    """
    return _names(_MENTION.findall(text or ""))[:50]


def highlight(rendered: str, mentions: dict[str, str]) -> str:
    """Wrap `@name` in text outside code and links; `mentions` maps a lower-case name to the
    value of `data-mention` (the user id, or "here")."""
    if not mentions:
        return rendered
    out: list[str] = []
    skipping: list[str] = []
    for piece in _TAG.split(rendered):
        if piece.startswith("<"):
            out.append(piece)
            tag = re.match(r"</?\s*([a-zA-Z]+)", piece)
            name = tag.group(1).lower() if tag else ""
            if name in _SKIP:
                if piece.startswith("</"):
                    if skipping and skipping[-1] == name:
                        skipping.pop()
                elif not piece.endswith("/>"):
                    skipping.append(name)
            continue
        if skipping or "@" not in piece:
            out.append(piece)
            continue
        out.append(_MENTION.sub(lambda match: _mark(match, mentions), piece))
    return "".join(out)


def _mark(match: re.Match[str], mentions: dict[str, str]) -> str:
    raw = match.group(1)
    name = raw.rstrip(".+-")
    target = mentions.get(name.lower())
    if target is None:
        return match.group(0)
    rest = raw[len(name) :]
    return (
        f'<span class="mention" data-mention="{html.escape(target)}">@{html.escape(name)}</span>'
        f"{rest}"
    )
