/* The website chat widget, under the conversation: the satisfaction survey once it has ended
 * and the offer of its transcript by e-mail.
 *
 * livechat.js renders each conversation fragment and announces it ("livechat:rendered"); the
 * part that belongs here is moved into #livechat-after, and only when it changed, so what
 * the visitor is typing is never wiped by a poll.
 */
(() => {
  "use strict";

  const slot = document.getElementById("livechat-after");
  const root = document.getElementById("livechat");
  if (!slot || !root) return;

  function show(fresh) {
    const current = slot.querySelector("[data-livechat-after]");
    if (!fresh) {
      slot.replaceChildren();
      return;
    }
    if (current && current.dataset.key === fresh.dataset.key) return;
    slot.replaceChildren(fresh);
  }

  document.addEventListener("livechat:rendered", (event) => {
    show(event.detail.querySelector("[data-livechat-after]"));
  });

  slot.addEventListener("change", (event) => {
    const box = event.target.closest("[data-livechat-reveal]");
    if (!box) return;
    const fields = document.getElementById(box.dataset.livechatReveal);
    if (!fields) return;
    fields.hidden = !box.checked;
    if (box.checked) fields.querySelector("input, textarea")?.focus();
  });

  async function detail(response) {
    try {
      const body = await response.json();
      if (body && body.detail) return body.detail;
    } catch {
      /* not JSON */
    }
    return root.dataset.sendFailed;
  }

  slot.addEventListener("submit", async (event) => {
    const form = event.target.closest("[data-livechat-form]");
    if (!form) return;
    event.preventDefault();
    const errorBox = form.querySelector("[data-livechat-form-error]");
    const button = form.querySelector("button[type=submit]");
    const widget = window.livechatWidget;
    if (!widget || !widget.token()) return;
    if (errorBox) errorBox.hidden = true;
    button.disabled = true;
    try {
      const response = await fetch(form.getAttribute("action"), {
        method: "POST",
        body: new FormData(form),
        headers: { "X-Visitor-Token": widget.token() },
      });
      if (response.ok) {
        await widget.refresh();
      } else if (errorBox) {
        errorBox.textContent = await detail(response);
        errorBox.hidden = false;
      }
    } catch {
      if (errorBox) {
        errorBox.textContent = root.dataset.sendFailed;
        errorBox.hidden = false;
      }
    } finally {
      button.disabled = false;
    }
  });
})();
