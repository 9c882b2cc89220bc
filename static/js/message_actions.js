// Message actions, the same in team chats (teamchat.js) and customer rooms (room.js), on the
// markup of templates/rooms/message_actions.html: react, pin and delete forms
// ([data-chat-action]), edit in place ([data-edit], [data-edit-form]) and copy link
// ([data-copy-link]). Items are [data-chat-message] elements; frames are rendered once for every
// watcher, so who may still edit, and who reacted, is marked here for this reader.
(function () {
  "use strict";
  const me = Number(document.body.dataset.user);
  if (!me) return;
  // Frames rendered for every watcher carry no token: the page's own (a form's, or the body's
  // htmx headers) signs each request.
  const csrf = () => {
    const field = document.querySelector("[name=csrfmiddlewaretoken]");
    if (field?.value) return field.value;
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; }
    catch (error) { return ""; }
  };
  const request = (url, options = {}) => fetch(url, {
    credentials: "same-origin",
    ...options,
    headers: { "HX-Request": "true", "X-CSRFToken": csrf(), ...(options.headers || {}) },
  });
  const parse = (html) => {
    const holder = document.createElement("template");
    holder.innerHTML = html.trim();
    return holder.content;
  };
  let markExtra = () => {};
  let copiedText = "";

  function notice(text) {
    let list = document.querySelector(".flash");
    if (!list) {
      list = document.createElement("ul");
      list.className = "flash";
      list.setAttribute("role", "status");
      document.getElementById("main")?.prepend(list);
    }
    const item = document.createElement("li");
    item.className = "flash-error";
    item.textContent = text;
    list.appendChild(item);
  }

  function announce(text) {
    const region = document.getElementById("live-announcer");
    if (region) region.textContent = text;
  }

  function mark(scope) {
    const now = Date.now();
    (scope || document).querySelectorAll("[data-chat-message]").forEach((item) => {
      const mine = Number(item.dataset.author) === me;
      item.toggleAttribute("data-mine", mine);
      const until = Date.parse(item.dataset.editUntil || "");
      item.toggleAttribute("data-can-edit", mine && !item.classList.contains("deleted") && now < until);
      item.querySelectorAll("[data-reactors]").forEach((button) => {
        const reacted = button.dataset.reactors.split(" ").includes(String(me));
        button.setAttribute("aria-pressed", String(reacted));
      });
      markExtra(item);
    });
  }

  // A changed message replaces every copy of it on the page (list, thread, pins).
  function replace(html) {
    const fresh = parse(html).querySelector("[data-chat-message]");
    if (!fresh) return;
    document.querySelectorAll(`[data-chat-message="${fresh.dataset.chatMessage}"]`).forEach((old) => {
      const copy = fresh.cloneNode(true);
      old.replaceWith(copy);
      mark(copy.parentElement || document);
    });
  }

  // New messages into a list (a changed one replaces its copy); true when any was new.
  function insert(list, html) {
    if (!list || !html) return false;
    let added = false;
    parse(html).querySelectorAll("[data-chat-message]").forEach((item) => {
      const existing = list.querySelector(`[data-chat-message="${item.dataset.chatMessage}"]`);
      if (existing) { existing.replaceWith(item); return; }
      list.appendChild(item);
      added = true;
      if (Number(item.dataset.chatMessage) > Number(list.dataset.lastId || 0)) {
        list.dataset.lastId = item.dataset.chatMessage;
      }
    });
    mark(list);
    if (added) list.lastElementChild?.scrollIntoView({ block: "end" });
    return added;
  }

  async function onClick(event) {
    const copy = event.target.closest("[data-copy-link]");
    if (copy) {
      event.preventDefault();
      const url = new URL(copy.getAttribute("href"), window.location.href).href;
      try { await navigator.clipboard.writeText(url); } catch (error) { window.prompt("", url); }
      announce(copiedText || url);
      return;
    }
    const edit = event.target.closest("[data-edit]");
    if (edit) {
      event.preventDefault();
      const item = edit.closest("[data-chat-message]");
      const response = await request(edit.getAttribute("href"));
      if (!response.ok) { notice(await response.text()); return; }
      const form = parse(await response.text()).querySelector("[data-edit-form]");
      const bodyBox = item.querySelector(".body");
      if (!form || !bodyBox) return;
      bodyBox.hidden = true;
      bodyBox.after(form);
      form.querySelector("textarea").focus();
      return;
    }
    const cancel = event.target.closest("[data-edit-cancel]");
    if (cancel) {
      event.preventDefault();
      const form = cancel.closest("[data-edit-form]");
      const item = form.closest("[data-chat-message]");
      form.remove();
      if (item) item.querySelector(".body").hidden = false;
    }
  }

  async function onSubmit(event) {
    const form = event.target;
    if (form.matches("[data-chat-action]")) {
      event.preventDefault();
      if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) return;
      // The pressed button's name and value go too (one form offers every emoji).
      const body = new FormData(form, event.submitter);
      const response = await request(form.action, { method: "POST", body });
      if (response.ok) replace(await response.text());
      else notice(await response.text());
    } else if (form.matches("[data-edit-form]")) {
      event.preventDefault();
      const response = await request(form.action, { method: "POST", body: new FormData(form) });
      if (response.ok) replace(await response.text());
      else {
        const box = form.querySelector("[data-composer-error]");
        box.textContent = await response.text();
        box.hidden = false;
      }
    }
  }

  function onKeydown(event) {
    const form = event.target.closest?.("[data-edit-form]");
    if (form && event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  }

  let bound = false;
  // The page's own script calls this once: `copied` is the sentence announced after copying,
  // `extra(item)` marks what only that kind of room has (team chat: mentions of the reader).
  function bind({ copied = "", extra } = {}) {
    copiedText = copied;
    if (extra) markExtra = extra;
    if (bound) return;
    bound = true;
    document.addEventListener("click", onClick);
    document.addEventListener("submit", onSubmit);
    document.addEventListener("keydown", onKeydown);
    mark(document);
    // Edit and delete disappear when the edit window closes.
    setInterval(() => mark(document), 30000);
    if (window.location.hash.startsWith("#message-")) {
      document.querySelector(window.location.hash)?.scrollIntoView({ block: "center" });
    }
  }

  window.messageActions = { bind, mark, replace, insert, request, notice, parse };
})();
