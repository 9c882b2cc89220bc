// Team chat in the agent's tab: the sidebar's chats with live unread counts and mentions, the
// Search, Directory and Display options tools, and the chat page (composer with text styles and
// Enter to send, threads, reactions, pins, edits, copy link). Events arrive over the tab's one
// live socket (live.js); while it is down the chat page polls instead.
(function () {
  "use strict";
  const body = document.body;
  const me = Number(body.dataset.user);
  if (!me) return;
  const t = (text) => (window.gettext ? window.gettext(text) : text);
  const format = (text, values) => (window.interpolate
    ? window.interpolate(text, values, true)
    : text.replace(/%\((\w+)\)s/g, (match, key) => values[key]));
  const csrf = () => document.querySelector("[name=csrfmiddlewaretoken]")?.value || "";
  const live = () => window.omnichannelLive || {};
  const liveOpen = () => Boolean(live().open);

  const parse = (html) => {
    const holder = document.createElement("template");
    holder.innerHTML = html.trim();
    return holder.content;
  };
  const request = (url, options = {}) => fetch(url, {
    credentials: "same-origin",
    ...options,
    headers: { "HX-Request": "true", "X-CSRFToken": csrf(), ...(options.headers || {}) },
  });
  const post = (url, data) => request(url, { method: "POST", body: data });

  function announce(text) {
    const region = document.getElementById("live-announcer");
    if (region) region.textContent = text;
  }

  function notice(text, kind = "info") {
    let list = document.querySelector(".flash");
    if (!list) {
      list = document.createElement("ul");
      list.className = "flash";
      list.setAttribute("role", "status");
      document.getElementById("main")?.prepend(list);
    }
    const item = document.createElement("li");
    item.className = `flash-${kind}`;
    item.textContent = text;
    list.appendChild(item);
  }

  // --- sidebar ----------------------------------------------------------------------------------

  const sidebarSection = () => document.getElementById("teamchat-sidebar");

  async function refreshSidebar() {
    const current = sidebarSection();
    if (!current) return;
    try {
      const response = await request(current.dataset.url);
      if (!response.ok) return;
      const fresh = parse(await response.text()).getElementById("teamchat-sidebar");
      if (fresh) current.replaceWith(fresh);
    } catch (error) { /* the next event or reconnect tries again */ }
  }

  function sortList(list) {
    const section = sidebarSection();
    if (!list || !section) return;
    const byName = section.dataset.sort === "name";
    const unreadTop = section.dataset.unreadTop === "1";
    const items = [...list.children];
    items.sort((a, b) => {
      if (unreadTop) {
        const diff = Number(b.classList.contains("unread")) - Number(a.classList.contains("unread"));
        if (diff) return diff;
      }
      if (byName) return a.dataset.name.localeCompare(b.dataset.name);
      return Number(b.dataset.activity || 0) - Number(a.dataset.activity || 0);
    });
    items.forEach((item) => list.appendChild(item));
  }

  function setCounts(item, unread, mentions) {
    const badge = item.querySelector("[data-unread]");
    const count = item.querySelector("[data-unread-count]");
    const mark = item.querySelector("[data-mentions]");
    if (count) count.textContent = String(unread);
    if (badge) badge.hidden = !unread;
    if (mark) mark.hidden = !mentions;
    item.classList.toggle("unread", Boolean(unread || mentions));
  }

  function unreadChanged(event) {
    const item = document.querySelector(`[data-chat-item="${event.chat}"]`);
    if (!item) { refreshSidebar(); return; }
    const looking = chatPage && chatPage.id === event.chat && chatPage.member()
      && document.visibilityState === "visible";
    if (looking && (event.unread || event.mentions)) {
      setCounts(item, 0, 0);
      chatPage.markRead();
    } else {
      setCounts(item, event.unread, event.mentions);
    }
    if (event.activity) item.dataset.activity = String(event.activity);
    sortList(item.parentElement);
    if (event.mentioned && event.mentions && !looking) {
      const title = item.querySelector(".chat-title")?.textContent.trim() || "";
      announce(format(t("%(name)s mentioned you in %(chat)s."), { name: event.by, chat: title }));
    }
  }

  // --- Search, Display options (popovers in the sidebar's tools) ------------------------------

  function closePopovers(except) {
    document.querySelectorAll("[data-popover-toggle]").forEach((toggle) => {
      if (toggle === except) return;
      const panel = document.getElementById(toggle.dataset.popoverToggle);
      if (panel && !panel.hidden) {
        panel.hidden = true;
        toggle.setAttribute("aria-expanded", "false");
      }
    });
  }

  function togglePopover(toggle) {
    const panel = document.getElementById(toggle.dataset.popoverToggle);
    if (!panel) return;
    closePopovers(toggle);
    const open = panel.hidden;
    panel.hidden = !open;
    toggle.setAttribute("aria-expanded", String(open));
    if (open) panel.querySelector("input:not([type=hidden])")?.focus();
  }

  async function openFirstResult(input) {
    const query = input.value.trim();
    if (!query) return;
    const url = `${input.form.action}?q=${encodeURIComponent(query)}`;
    try {
      const response = await request(url);
      const first = parse(await response.text()).querySelector("[data-first-result]");
      if (first) window.location.assign(first.getAttribute("href"));
    } catch (error) { /* stay; the list shows what there is */ }
  }

  async function saveDisplayOptions(form) {
    const response = await post(form.action, new FormData(form));
    if (!response.ok) { notice(await response.text(), "error"); return; }
    const fresh = parse(await response.text()).getElementById("teamchat-sidebar");
    if (fresh) sidebarSection()?.replaceWith(fresh);
  }

  // --- the chat page ----------------------------------------------------------------------------

  // Edit, delete, reactions, pins and copy link are shared with customer rooms
  // (message_actions.js); what only team chat marks is the reader's own mentions.
  const actions = () => window.messageActions;

  function markMentions(item) {
    item.querySelectorAll(".mention[data-mention]").forEach((mention) => {
      const target = mention.dataset.mention;
      mention.classList.toggle("mention-me", target === String(me) || target === "here");
    });
  }

  const markMessages = (root) => actions().mark(root);
  const insertMessage = (list, html) => actions().insert(list, html);
  const replaceMessage = (html) => actions().replace(html);

  function bindComposer(composer, onSent) {
    if (!composer || composer.dataset.bound) return;
    composer.dataset.bound = "1";
    const field = composer.querySelector("textarea");
    const errorBox = composer.querySelector("[data-composer-error]");
    composer.addEventListener("submit", async (event) => {
      event.preventDefault();
      const files = composer.querySelector("input[type=file]");
      if (!field.value.trim() && !(files && files.files.length)) return;
      const response = await post(composer.action, new FormData(composer));
      if (response.ok) {
        field.value = "";
        if (files) files.value = "";
        errorBox.hidden = true;
        onSent(await response.text());
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

  let chatPage = null;

  function setUpChatPage() {
    const root = document.querySelector("[data-chat]");
    if (!root) return null;
    const id = Number(root.dataset.chat);
    const list = document.getElementById("chat-messages");
    const panel = document.getElementById("chat-panel");
    let readTimer = null;

    const page = {
      id,
      member: () => root.dataset.member === "1",
      markRead() {
        if (!page.member()) return;
        clearTimeout(readTimer);
        readTimer = setTimeout(async () => {
          try {
            const response = await request(root.dataset.readUrl, { method: "POST" });
            const item = document.querySelector(`[data-chat-item="${id}"]`);
            if (response.ok && item) setCounts(item, 0, 0);
          } catch (error) { /* the next message or visit marks it read */ }
        }, 300);
      },
      async poll() {
        if (!list || !root.dataset.pollUrl) return;
        try {
          const response = await request(`${root.dataset.pollUrl}?after=${list.dataset.lastId || 0}`);
          if (response.ok && insertMessage(list, await response.text())) page.markRead();
        } catch (error) { /* the next poll tries again */ }
      },
      async refresh() {
        try {
          const response = await request(window.location.pathname);
          const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
          for (const selector of [".chat-header", ".chat-footer"]) {
            const next = fresh.querySelector(selector);
            const current = document.querySelector(selector);
            if (next && current) current.replaceWith(next);
          }
          const freshRoot = fresh.querySelector("[data-chat]");
          if (freshRoot) {
            root.dataset.member = freshRoot.dataset.member;
            root.classList.toggle("archived", freshRoot.classList.contains("archived"));
          }
          bindComposers();
        } catch (error) { /* later */ }
      },
      async openPanel(url) {
        if (!panel) { window.location.assign(url); return; }
        const response = await request(url);
        if (!response.ok) { notice(await response.text(), "error"); return; }
        panel.innerHTML = await response.text();
        panel.hidden = false;
        markMessages(panel);
        bindComposers();
        panel.querySelector("textarea")?.focus();
      },
      // A frame is rendered in the default language and time zone; other readers fetch their own.
      async localise(event) {
        const lang = document.documentElement.lang || "";
        if (event.lang === lang && event.tz === root.dataset.tz) return event;
        const own = async (messageId) => {
          const url = root.dataset.messageUrl.replace(/\/0\/$/, `/${messageId}/`);
          const response = await request(url);
          if (!response.ok) throw new Error(String(response.status));
          return response.text();
        };
        try {
          const html = await own(event.message);
          const parentHtml = event.parent_html ? await own(event.thread) : undefined;
          return { ...event, html, parent_html: parentHtml };
        } catch (error) {
          return event;
        }
      },
      async messageCreated(frame) {
        if (frame.chat !== id) return;
        const event = await page.localise(frame);
        if (event.thread) {
          const replies = document.querySelector(`#thread-replies[data-thread="${event.thread}"]`);
          if (replies) insertMessage(replies, event.html);
          if (event.parent_html) replaceMessage(event.parent_html);
        } else {
          insertMessage(list, event.html);
        }
        if (document.visibilityState === "visible") page.markRead();
      },
    };

    function bindComposers() {
      bindComposer(document.querySelector(".chat-footer [data-chat-composer]"), (html) => {
        insertMessage(list, html);
      });
      const threadComposer = panel?.querySelector("[data-chat-composer]");
      bindComposer(threadComposer, (html) => {
        insertMessage(panel.querySelector("#thread-replies"), html);
      });
    }

    document.addEventListener("click", async (event) => {
      const opener = event.target.closest("[data-open-panel]");
      if (opener) {
        event.preventDefault();
        page.openPanel(opener.getAttribute("href"));
        return;
      }
      if (event.target.closest("[data-close-panel]") && panel) {
        panel.hidden = true;
        panel.innerHTML = "";
        return;
      }
    });

    document.addEventListener("submit", async (event) => {
      const form = event.target;
      if (form.matches("[data-panel-action]") && panel && !panel.hidden) {
        event.preventDefault();
        const response = await post(form.action, new FormData(form));
        if (response.ok) { panel.innerHTML = await response.text(); markMessages(panel); }
        else notice(await response.text(), "error");
      }
    });

    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") page.markRead();
    });

    actions().bind({ copied: root.dataset.textCopied, extra: markMentions });
    bindComposers();
    list?.lastElementChild?.scrollIntoView({ block: "end" });
    document.querySelector(".chat-footer textarea")?.focus();
    page.markRead();
    setInterval(() => { if (!liveOpen()) page.poll(); }, 3000);
    return page;
  }

  // --- wiring ------------------------------------------------------------------------------------

  function bindTools() {
    document.addEventListener("click", (event) => {
      const toggle = event.target.closest("[data-popover-toggle]");
      if (toggle) {
        event.preventDefault();
        togglePopover(toggle);
        return;
      }
      if (!event.target.closest(".tool-popover")) closePopovers();
    });
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape") closePopovers();
      if (event.target.id === "chat-search-input" && event.key === "Enter") {
        event.preventDefault();
        openFirstResult(event.target);
      }
    });
    document.addEventListener("change", (event) => {
      const form = event.target.closest("[data-display-options]");
      if (form) saveDisplayOptions(form);
    });
    document.addEventListener("submit", (event) => {
      if (event.target.matches("[data-display-options]")) {
        event.preventDefault();
        saveDisplayOptions(event.target);
      }
    });
  }

  let connections = 0;
  function connected() {
    connections += 1;
    if (chatPage) live().send?.({ type: "watch.chat", chat: chatPage.id });
    if (connections > 1) {
      refreshSidebar();
      chatPage?.poll();
    }
  }

  function start() {
    chatPage = setUpChatPage();
    bindTools();
    const handlers = live().handlers;
    if (!handlers) return;
    handlers.hello = connected;
    handlers["chat.unread"] = unreadChanged;
    handlers["chat.sidebar"] = refreshSidebar;
    handlers["chat.message"] = (event) => chatPage?.messageCreated(event);
    handlers["chat.message_updated"] = async (event) => {
      if (chatPage && event.chat === chatPage.id) replaceMessage((await chatPage.localise(event)).html);
    };
    handlers["chat.changed"] = (event) => {
      if (chatPage && event.chat === chatPage.id) chatPage.refresh();
    };
    handlers["chat.revoked"] = (event) => {
      refreshSidebar();
      if (chatPage && event.chat === chatPage.id) {
        const root = document.querySelector("[data-chat]");
        notice(root?.dataset.textRevoked || "");
        window.location.assign(sidebarSection()?.dataset.directoryUrl || "/chat/directory/");
      }
    };
    // The socket may have opened before this script ran: its "hello" went unheard.
    if (live().open) connected();
  }

  // This script runs before live.js (it comes first in the page); both are deferred, so the
  // socket exists once the document has loaded.
  if (document.readyState === "complete") start();
  else document.addEventListener("DOMContentLoaded", start);
})();
