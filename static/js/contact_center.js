// The room page's support tools: one right-hand panel at a time (room information or a tool),
// loaded from the server each time it opens, and jumping from a search result to its message.
(function () {
  "use strict";
  const roomElement = document.querySelector("[data-room]");
  if (!roomElement) return;
  let openTool = null;

  const panels = () => document.querySelectorAll("[data-tool-panel]");
  const messageList = () => document.getElementById("messages");

  function sync() {
    document.querySelectorAll("[data-tool]").forEach((button) => {
      button.setAttribute("aria-expanded", String(button.dataset.tool === openTool));
    });
    if (!openTool) return;
    // The room information panel shares the column: it makes way while a tool is open.
    const info = document.getElementById("room-info");
    if (info && !info.hidden) info.hidden = true;
    document.querySelector('[data-toggle="room-info"]')?.setAttribute("aria-expanded", "false");
  }

  function load(panel) {
    const body = panel.querySelector("[data-tool-body]");
    if (!panel.dataset.src || !body || !window.htmx) return;
    window.htmx.ajax("GET", panel.dataset.src, { target: body, swap: "innerHTML" });
  }

  function open(id) {
    const panel = document.getElementById(id);
    if (!panel) return;
    panels().forEach((other) => { other.hidden = other !== panel; });
    openTool = id;
    sync();
    load(panel);
    (panel.querySelector("[data-tool-focus]") || panel.querySelector("h2"))?.focus();
  }

  function close() {
    const was = openTool;
    panels().forEach((panel) => { panel.hidden = true; });
    openTool = null;
    sync();
    return was;
  }

  function highlight(target) {
    target.setAttribute("tabindex", "-1");
    target.classList.add("jump-target");
    target.scrollIntoView({ block: "center" });
    target.focus({ preventScroll: true });
    setTimeout(() => target.classList.remove("jump-target"), 2500);
  }

  async function jumpTo(messageId) {
    const list = messageList();
    if (!list) return;
    const selector = `[data-message-id="${messageId}"]`;
    let target = list.querySelector(selector);
    const earlierUrl = document.querySelector("[data-earlier-url]")?.dataset.earlierUrl;
    if (!target && earlierUrl) {
      // The page shows the latest messages only: fetch the ones from this message on.
      const first = list.querySelector("[data-message-id]");
      const before = first ? first.dataset.messageId : 0;
      try {
        const response = await fetch(`${earlierUrl}?from=${messageId}&before=${before}`, {
          headers: { "HX-Request": "true" }, credentials: "same-origin",
        });
        if (response.ok) {
          const holder = document.createElement("template");
          holder.innerHTML = (await response.text()).trim();
          const items = [...holder.content.querySelectorAll("[data-message-id]")].filter(
            (item) => !list.querySelector(`[data-message-id="${item.dataset.messageId}"]`),
          );
          list.prepend(...items);
        }
      } catch (error) { /* the result stays in the panel; the user may try again */ }
      target = list.querySelector(selector);
    }
    if (target) highlight(target);
  }

  document.addEventListener("click", (event) => {
    const toolButton = event.target.closest("[data-tool]");
    if (toolButton) {
      if (openTool === toolButton.dataset.tool) {
        close();
      } else {
        open(toolButton.dataset.tool);
      }
      return;
    }
    if (event.target.closest("[data-tool-close]")) {
      const was = close();
      document.querySelector(`[data-tool="${was}"]`)?.focus();
      return;
    }
    if (event.target.closest('[data-toggle="room-info"]')) {
      // room.js shows room information; the open tool makes way for it.
      close();
      return;
    }
    const jump = event.target.closest("[data-jump]");
    if (jump) {
      event.preventDefault();
      jumpTo(Number(jump.dataset.jump));
    }
  });

  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || !openTool) return;
    if (!document.getElementById(openTool)?.contains(document.activeElement)) return;
    const was = close();
    document.querySelector(`[data-tool="${was}"]`)?.focus();
  });

  // An opened earlier chat scrolls to the message a search result pointed at.
  document.body.addEventListener("htmx:afterSwap", (event) => {
    const target = event.detail.target?.querySelector?.("[data-scroll-to]");
    if (target) highlight(target);
  });

  // live.js replaces the header and room information after changes: keep the tool state.
  const keepState = new MutationObserver(() => { if (openTool) sync(); });
  keepState.observe(roomElement, { childList: true });
  const conversation = roomElement.querySelector(".conversation");
  if (conversation) keepState.observe(conversation, { childList: true });
})();
