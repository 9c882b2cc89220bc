// Canned responses in the composer: typing "!" and the start of a shortcut offers the matching
// responses in a listbox under the message field; Up/Down choose, Enter or Tab inserts the
// chosen one (its {contact_name} and {agent_name} already filled in by the server), Escape
// closes the list. The composer form carries the suggestions URL (data-canned-url).
(function () {
  "use strict";
  if (window.cannedResponses) return;
  window.cannedResponses = true;

  const t = (text) => (typeof window.gettext === "function" ? window.gettext(text) : text);
  const TRIGGER = /(^|\s)!([A-Za-z0-9_-]{0,50})$/;
  let open = null; // { field, list, items, active, start, end }
  let sequence = 0;
  let timer = null;

  function composerOf(field) {
    const form = field.closest("[data-canned-url]");
    return form && field.tagName === "TEXTAREA" ? form : null;
  }

  function listFor(field) {
    const id = `${field.id || "composer"}-canned`;
    let list = document.getElementById(id);
    if (!list) {
      list = document.createElement("ul");
      list.id = id;
      list.className = "canned-list";
      list.setAttribute("role", "listbox");
      list.setAttribute("aria-label", t("Canned responses"));
      list.hidden = true;
      field.insertAdjacentElement("afterend", list);
      field.setAttribute("aria-autocomplete", "list");
      field.setAttribute("aria-controls", id);
    }
    return list;
  }

  function close() {
    if (!open) return;
    open.list.hidden = true;
    open.list.replaceChildren();
    open.field.removeAttribute("aria-activedescendant");
    open = null;
  }

  function highlight(index) {
    if (!open || !open.items.length) return;
    open.active = (index + open.items.length) % open.items.length;
    open.list.querySelectorAll("[role=option]").forEach((option, position) => {
      const chosen = position === open.active;
      option.setAttribute("aria-selected", String(chosen));
      if (chosen) {
        open.field.setAttribute("aria-activedescendant", option.id);
        option.scrollIntoView({ block: "nearest" });
      }
    });
  }

  function show(field, token, items) {
    const list = listFor(field);
    if (!items.length) {
      close();
      return;
    }
    list.replaceChildren(
      ...items.map((item, index) => {
        const option = document.createElement("li");
        option.id = `${list.id}-${index}`;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.dataset.index = String(index);
        const shortcut = document.createElement("span");
        shortcut.className = "canned-shortcut";
        shortcut.textContent = `!${item.shortcut}`;
        const scope = document.createElement("span");
        scope.className = "canned-scope";
        scope.textContent = item.scope;
        const text = document.createElement("span");
        text.className = "canned-text";
        text.textContent = item.text;
        option.append(shortcut, " ", scope, " ", text);
        return option;
      }),
    );
    list.hidden = false;
    open = { field, list, items, active: 0, start: token.start, end: token.end };
    highlight(0);
  }

  function tokenAt(field) {
    if (field.selectionStart !== field.selectionEnd) return null;
    const before = field.value.slice(0, field.selectionStart);
    const match = TRIGGER.exec(before);
    if (!match) return null;
    return { start: before.length - match[2].length - 1, end: before.length, query: match[2] };
  }

  async function suggest(field) {
    const form = composerOf(field);
    const token = form && tokenAt(field);
    if (!token) {
      close();
      return;
    }
    const mine = ++sequence;
    try {
      const url = `${form.dataset.cannedUrl}?q=${encodeURIComponent(token.query)}`;
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok || mine !== sequence) return;
      const body = await response.json();
      if (mine !== sequence || document.activeElement !== field) return;
      show(field, token, body.results || []);
    } catch (error) { /* offline for a moment: no suggestions, typing goes on */ }
  }

  function pick(index) {
    if (!open) return;
    const item = open.items[index];
    const { field, start, end } = open;
    close();
    if (!item) return;
    field.setRangeText(item.text, start, end, "end");
    field.focus();
    // Let the page react as to typing (typing indicator, field checks).
    field.dispatchEvent(new Event("input", { bubbles: true }));
  }

  document.addEventListener("input", (event) => {
    const field = event.target;
    if (!(field instanceof HTMLTextAreaElement) || !composerOf(field)) return;
    clearTimeout(timer);
    if (!tokenAt(field)) {
      sequence += 1;
      close();
      return;
    }
    timer = setTimeout(() => suggest(field), 120);
  });

  // Capturing, so a pick with Enter never reaches the composer's "Enter sends" handler.
  document.addEventListener(
    "keydown",
    (event) => {
      if (!open || event.target !== open.field || event.isComposing) return;
      let handled = true;
      if (event.key === "ArrowDown") highlight(open.active + 1);
      else if (event.key === "ArrowUp") highlight(open.active - 1);
      else if ((event.key === "Enter" || event.key === "Tab") && !event.shiftKey) pick(open.active);
      else if (event.key === "Escape") close();
      else handled = false;
      if (handled) {
        event.preventDefault();
        event.stopPropagation();
      }
    },
    true,
  );

  document.addEventListener("mousedown", (event) => {
    const option = event.target.closest?.(".canned-list [role=option]");
    if (option && open) {
      event.preventDefault(); // keep the focus in the message field
      pick(Number(option.dataset.index));
    } else if (open && event.target !== open.field) {
      close();
    }
  });

  document.addEventListener("focusout", (event) => {
    if (open && event.target === open.field) setTimeout(() => { if (open && document.activeElement !== open.field) close(); }, 100);
  });
})();
