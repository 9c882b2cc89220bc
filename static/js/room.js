// The room page: send without reloading, text styles, tags, panels. New messages arrive over
// the live socket (live.js); while it is down, this page polls instead.
(function () {
  "use strict";
  const csrf = () => document.querySelector("[name=csrfmiddlewaretoken]")?.value || "";
  const messages = document.getElementById("messages");
  const roomElement = document.querySelector("[data-room]");
  if (!messages || !roomElement) return;
  const roomId = Number(roomElement.dataset.room);
  const liveOpen = () => Boolean(window.omnichannelLive && window.omnichannelLive.open);
  // Sentences come from Django's JavaScript catalogue (/jsi18n/) in the reader's language.
  const gettext = window.gettext || ((text) => text);
  const interpolate = window.interpolate
    || ((text, values) => text.replace(/%\((\w+)\)s/g, (match, key) => values[key]));

  function append(html) {
    const holder = document.createElement("template");
    holder.innerHTML = html.trim();
    let added = false;
    holder.content.querySelectorAll("[data-message-id]").forEach((item) => {
      if (messages.querySelector(`[data-message-id="${item.dataset.messageId}"]`)) return;
      messages.appendChild(item);
      if (Number(item.dataset.messageId) > Number(messages.dataset.lastId || 0)) {
        messages.dataset.lastId = item.dataset.messageId;
      }
      added = true;
    });
    if (added) messages.lastElementChild?.scrollIntoView({ block: "end" });
    window.messageActions?.mark(messages);
  }

  async function poll() {
    const url = `${messages.dataset.pollUrl}?after=${messages.dataset.lastId || 0}`;
    try {
      const response = await fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" });
      if (response.ok) append(await response.text());
    } catch (error) { /* the next poll tries again; the server keeps every message */ }
  }

  function typing(active) {
    const indicator = document.querySelector("[data-typing]");
    if (indicator) indicator.hidden = !active;
  }

  let typingTimer = null;
  function sendTyping(active) {
    window.omnichannelLive?.send?.({ type: "typing", room: roomId, active });
  }

  function bindComposer() {
    const composer = document.querySelector("[data-composer]");
    if (!composer || composer.dataset.bound) return;
    composer.dataset.bound = "1";
    const field = composer.querySelector("textarea");
    const errorBox = composer.querySelector("[data-composer-error]");
    // An open confirmation dialog keeps the focus it asked for (autofocus).
    if (!document.querySelector("dialog[open]")) field.focus();
    composer.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!field.value.trim()) return;
      const response = await fetch(composer.action, {
        method: "POST", body: new FormData(composer),
        headers: { "HX-Request": "true", "X-CSRFToken": csrf() }, credentials: "same-origin",
      });
      if (response.ok) {
        field.value = "";
        errorBox.hidden = true;
        clearTimeout(typingTimer);
        typingTimer = null;
        sendTyping(false);
        if (!liveOpen()) poll();
      } else {
        errorBox.textContent = await response.text();
        errorBox.hidden = false;
      }
    });
    field.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        composer.requestSubmit();
      }
    });
    field.addEventListener("input", () => {
      if (!typingTimer) sendTyping(true);
      clearTimeout(typingTimer);
      typingTimer = setTimeout(() => { typingTimer = null; sendTyping(false); }, 3000);
    });
    composer.querySelectorAll("[data-wrap]").forEach((button) => {
      button.addEventListener("click", () => {
        const mark = button.dataset.wrap;
        const block = button.hasAttribute("data-block");
        const { selectionStart: start, selectionEnd: end, value } = field;
        const selected = value.slice(start, end);
        const open = block ? `${mark}\n` : mark;
        const close = block ? `\n${mark}` : mark;
        field.setRangeText(`${open}${selected}${close}`, start, end, "select");
        field.setSelectionRange(start + open.length, start + open.length + selected.length);
        field.focus();
      });
    });
  }

  function bindTags() {
    const chips = document.querySelector("[data-tag-chips]");
    const tagInput = document.querySelector("[data-tag-input]");
    if (!chips || !tagInput || tagInput.dataset.bound) return;
    tagInput.dataset.bound = "1";
    // With the script, each typed word becomes a chip; without it, the field posts as it is.
    tagInput.removeAttribute("name");
    const template = document.querySelector("[data-tag-template]");
    const addTag = () => {
      const name = tagInput.value.trim().toLowerCase();
      if (!name) return;
      const exists = [...chips.querySelectorAll("input")].some((input) => input.value === name);
      if (!exists) {
        const chip = template.content.firstElementChild.cloneNode(true);
        chip.querySelector("input").value = name;
        chip.querySelector("span").textContent = name;
        const label = interpolate(gettext("Remove tag %(name)s"), { name }, true);
        chip.querySelector("button").setAttribute("aria-label", label);
        chips.appendChild(chip);
      }
      tagInput.value = "";
      tagInput.focus();
    };
    document.querySelector("[data-tag-add]").addEventListener("click", addTag);
    tagInput.addEventListener("keydown", (event) => {
      if (event.key === "Enter") { event.preventDefault(); addTag(); }
    });
    chips.addEventListener("click", (event) => {
      const remove = event.target.closest("[data-tag-remove]");
      if (remove) remove.closest("li").remove();
    });
  }

  function bindToggles() {
    document.querySelectorAll("[data-toggle]").forEach((button) => {
      if (button.dataset.bound) return;
      button.dataset.bound = "1";
      button.addEventListener("click", () => {
        const panel = document.getElementById(button.dataset.toggle);
        const open = button.getAttribute("aria-expanded") === "true";
        button.setAttribute("aria-expanded", String(!open));
        panel.hidden = open;
      });
    });
  }

  function bind() { bindComposer(); bindTags(); bindToggles(); }

  function replace(html) {
    // Message actions replace a message wherever it shows (the list, a thread, the pins).
    if (window.messageActions) { window.messageActions.replace(html); return; }
    const holder = document.createElement("template");
    holder.innerHTML = html.trim();
    const fresh = holder.content.querySelector("[data-message-id]");
    const current = fresh && messages.querySelector(`[data-message-id="${fresh.dataset.messageId}"]`);
    if (current) current.replaceWith(fresh);
  }

  window.roomPage = { append, poll, typing, bind, replace };
  // Message actions, the same as team chat's (message_actions.js); threads are agent-internal
  // and open in the side panel.
  const actions = window.messageActions;
  const panel = document.getElementById("chat-panel");

  async function openPanel(url) {
    if (!panel) { window.location.assign(url); return; }
    const response = await actions.request(url);
    if (!response.ok) { actions.notice(await response.text()); return; }
    panel.innerHTML = await response.text();
    panel.hidden = false;
    actions.mark(panel);
    panel.querySelector("textarea")?.focus();
  }

  function threadReplies(threadId) {
    return document.querySelector(`#thread-replies[data-thread="${threadId}"]`);
  }

  function bindActions() {
    if (!actions) return;
    actions.bind({ copied: roomElement.dataset.textCopied });
    document.addEventListener("click", (event) => {
      const opener = event.target.closest("[data-open-panel]");
      if (opener) {
        event.preventDefault();
        openPanel(opener.getAttribute("href"));
      } else if (event.target.closest("[data-close-panel]") && panel) {
        panel.hidden = true;
        panel.innerHTML = "";
      }
    });
    document.addEventListener("submit", async (event) => {
      const form = event.target;
      if (!form.matches("[data-thread-composer]")) return;
      event.preventDefault();
      const field = form.querySelector("textarea");
      if (!field.value.trim()) return;
      const response = await actions.request(form.action, { method: "POST", body: new FormData(form) });
      const box = form.querySelector("[data-composer-error]");
      if (!response.ok) {
        box.textContent = await response.text();
        box.hidden = false;
        return;
      }
      field.value = "";
      box.hidden = true;
      actions.insert(threadReplies(form.closest("[data-thread-panel]").dataset.threadPanel), await response.text());
    });
    document.addEventListener("keydown", (event) => {
      const form = event.target.closest?.("[data-thread-composer]");
      if (form && event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    const liveHandlers = window.omnichannelLive?.handlers;
    if (liveHandlers) {
      liveHandlers["message.thread_reply"] = (event) => {
        if (event.room !== roomId) return;
        actions.insert(threadReplies(event.thread), event.html);
        if (event.parent_html) actions.replace(event.parent_html);
      };
    }
  }

  // The page opens on the latest messages; earlier ones come a window at a time, on top.
  const earlier = document.querySelector("[data-earlier-messages]");
  earlier?.addEventListener("click", async () => {
    const first = messages.querySelector("[data-message-id]");
    if (!first) return;
    earlier.disabled = true;
    try {
      const url = `${messages.dataset.pollUrl}?before=${first.dataset.messageId}`;
      const response = await fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" });
      if (!response.ok) return;
      const holder = document.createElement("template");
      holder.innerHTML = (await response.text()).trim();
      messages.prepend(holder.content);
      window.messageActions?.mark(messages);
      if (response.headers.get("X-Earlier-Messages") !== "1") earlier.closest("p").remove();
    } finally {
      earlier.disabled = false;
    }
  });

  bind();
  bindActions();
  messages.lastElementChild?.scrollIntoView({ block: "end" });
  setInterval(() => { if (!liveOpen()) poll(); }, 2500);
})();
