"""Server processes load at start what their first live event would otherwise load."""

import contextvars

import pytest
from django.conf import settings
from django.template import engines
from django.template.loader import get_template
from django.urls import clear_url_caches, reverse
from django.urls.resolvers import URLResolver
from django.utils import translation

from omnichannel.warmup import LIVE_FRAGMENTS, warm_up


@pytest.fixture
def cold_process():
    """As a process starts: no template compiled, no URL indexed."""
    for loader in engines["django"].engine.template_loaders:
        loader.reset()
    clear_url_caches()


def test_the_live_fragments_are_compiled_before_the_first_event(cold_process, monkeypatch):
    warm_up()

    def read(*args, **kwargs):
        raise AssertionError("a template was read from disk after the warm-up")

    for loader in engines["django"].engine.template_loaders:
        for source_loader in getattr(loader, "loaders", [loader]):
            monkeypatch.setattr(source_loader, "get_contents", read)
    for name in LIVE_FRAGMENTS:
        get_template(name)


def test_urls_are_indexed_for_the_installations_language_before_the_first_event(
    cold_process, monkeypatch
):
    warm_up()

    def index(self):
        raise AssertionError("the URLs were indexed after the warm-up")

    monkeypatch.setattr(URLResolver, "_populate", index)
    with translation.override(settings.LANGUAGE_CODE):
        assert reverse("room", args=[7]) == "/rooms/7/"


def test_the_warm_up_leaves_the_context_every_request_and_socket_starts_from_unchanged(
    cold_process,
):
    before = contextvars.copy_context()

    warm_up()

    after = contextvars.copy_context()
    changed = [var.name for var in after if var not in before or after[var] is not before[var]]
    assert changed == []
