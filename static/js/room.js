// The room page: send without reloading, poll for new messages, text styles, tags, panels.
(function () {
  "use strict";
  const csrf = () => document.querySelector("[name=csrfmiddlewaretoken]")?.value || "";
  const messages = document.getElementById("messages");

  async function poll() {
    if (!messages) return;
    const url = `${messages.dataset.pollUrl}?after=${messages.dataset.lastId || 0}`;
    try {
      const response = await fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" });
      if (!response.ok) return;
      const html = (await response.text()).trim();
      if (!html) return;
      const holder = document.createElement("template");
      holder.innerHTML = html;
      holder.content.querySelectorAll("[data-message-id]").forEach((item) => {
        if (messages.querySelector(`[data-message-id="${item.dataset.messageId}"]`)) return;
        messages.appendChild(item);
        messages.dataset.lastId = item.dataset.messageId;
      });
      messages.lastElementChild?.scrollIntoView({ block: "end" });
    } catch (error) {
      // The next poll tries again; the server keeps every message.
    }
  }

  async function refreshInfo() {
    const panel = document.getElementById("room-info");
    if (!panel) return;
    try {
      const response = await fetch(panel.dataset.refreshUrl, { headers: { "HX-Request": "true" } });
      if (response.ok) panel.innerHTML = await response.text();
    } catch (error) { /* try again later */ }
  }

  if (messages) {
    messages.lastElementChild?.scrollIntoView({ block: "end" });
    setInterval(poll, 2500);
    setInterval(refreshInfo, 10000);
  }

  const composer = document.querySelector("[data-composer]");
  if (composer) {
    const field = composer.querySelector("textarea");
    const errorBox = composer.querySelector("[data-composer-error]");
    field.focus();
    composer.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!field.value.trim()) return;
      const body = new FormData(composer);
      const response = await fetch(composer.action, {
        method: "POST", body, headers: { "HX-Request": "true", "X-CSRFToken": csrf() },
        credentials: "same-origin",
      });
      if (response.ok) {
        field.value = "";
        errorBox.hidden = true;
        poll();
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

  const chips = document.querySelector("[data-tag-chips]");
  const tagInput = document.querySelector("[data-tag-input]");
  if (chips && tagInput) {
    // With the script, the typed word becomes a chip; without it, the field posts as it is.
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
        chip.querySelector("button").setAttribute("aria-label", `Remove tag ${name}`);
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

  document.querySelectorAll("[data-toggle]").forEach((button) => {
    button.addEventListener("click", () => {
      const panel = document.getElementById(button.dataset.toggle);
      const open = button.getAttribute("aria-expanded") === "true";
      button.setAttribute("aria-expanded", String(!open));
      panel.hidden = open;
    });
  });
})();
