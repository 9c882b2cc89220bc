// The agent tab's live socket: swaps server-rendered fragments in as events arrive, reconnects
// with back-off and re-fetches what it shows, so a missed event never leaves stale state.
(function () {
  "use strict";
  const body = document.body;
  const me = Number(body.dataset.user);
  if (!me) return;
  const banner = document.getElementById("live-banner");
  const roomElement = document.querySelector("[data-room]");
  const roomId = roomElement ? Number(roomElement.dataset.room) : null;
  const live = (window.omnichannelLive = { open: false });
  // Sentences come from Django's JavaScript catalogue (/jsi18n/) in the reader's language.
  const gettext = window.gettext || ((text) => text);
  const interpolate = window.interpolate
    || ((text, values) => text.replace(/%\((\w+)\)s/g, (match, key) => values[key]));
  let socket = null;
  let attempts = 0;
  let pingTimer = null;

  const parse = (html) => {
    const holder = document.createElement("template");
    holder.innerHTML = html.trim();
    return holder.content;
  };
  const fetchText = async (url) => {
    const response = await fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" });
    if (!response.ok) throw new Error(String(response.status));
    return response.text();
  };

  function announce(text) {
    const region = document.getElementById("live-announcer");
    if (region) region.textContent = text;
  }

  function notice(text) {
    let list = document.querySelector(".flash");
    if (!list) {
      list = document.createElement("ul");
      list.className = "flash";
      list.setAttribute("role", "status");
      document.getElementById("main").prepend(list);
    }
    const item = document.createElement("li");
    item.className = "flash-info";
    item.textContent = text;
    list.appendChild(item);
  }

  async function refreshSidebar() {
    const lists = document.getElementById("omnichannel-lists");
    if (!lists) return;
    try {
      const fragment = parse(await fetchText(body.dataset.sidebarUrl));
      const fresh = fragment.getElementById("omnichannel-lists");
      if (fresh) lists.replaceWith(fresh);
    } catch (error) { /* the next event or reconnect tries again */ }
  }

  async function refreshCounters() {
    const counters = document.getElementById("home-counters");
    if (!counters) return;
    try { counters.innerHTML = await fetchText(counters.dataset.refreshUrl); } catch (error) { /* later */ }
  }

  async function refreshRoomState() {
    // Header and footer differ per viewer (Take it!, composer, read-only): re-render them here.
    if (!roomId) return;
    try {
      const page = new DOMParser().parseFromString(await fetchText(window.location.pathname), "text/html");
      for (const selector of [".room-header", ".room-footer", "#room-info"]) {
        const fresh = page.querySelector(selector);
        const current = document.querySelector(selector);
        if (fresh && current) current.replaceWith(fresh);
      }
      window.roomPage?.bind();
    } catch (error) { /* later */ }
  }

  function updateQueueCount() {
    const list = document.querySelector("[data-queued-list]");
    const count = document.querySelector("[data-queued-total]");
    if (!list || !count) return;
    const items = list.querySelectorAll("[data-queued-room]").length;
    count.textContent = String(items);
    document.querySelector("[data-queue-empty]")?.toggleAttribute("hidden", items > 0);
    if (items >= Number(list.dataset.limit || 50)) refreshSidebar();
  }

  function announceQueued(item) {
    const name = item?.querySelector("a")?.firstChild?.textContent.trim() || "";
    announce(interpolate(gettext("%(name)s is waiting in the queue."), { name }, true));
  }

  async function queueAdded(event) {
    const list = document.querySelector("[data-queued-list]");
    if (!list) return;
    if (!renderedForMe(event)) {
      await refreshSidebar();
      announceQueued(document.querySelector(`[data-queued-room="${event.room}"]`));
      return;
    }
    list.querySelector(`[data-queued-room="${event.room}"]`)?.remove();
    const item = parse(event.html).firstElementChild;
    // The queue's serving order (priority, due time, wait), as one string that sorts like it.
    const key = item.dataset.queueKey || "";
    const after = [...list.children].find((other) => (other.dataset.queueKey || "") > key);
    list.insertBefore(item, after || null);
    updateQueueCount();
    announceQueued(item);
  }

  function queueRemoved(event) {
    document.querySelector(`[data-queued-list] [data-queued-room="${event.room}"]`)?.remove();
    updateQueueCount();
  }

  // Fragments come rendered in the installation's language and time zone; a reader with
  // other ones fetches their own rendering instead.
  const renderedForMe = (event) =>
    !event.lang || (event.lang === document.documentElement.lang && event.tz === body.dataset.tz);

  async function refreshInfo() {
    const info = document.getElementById("room-info");
    if (!info) return;
    try { info.innerHTML = await fetchText(info.dataset.refreshUrl); } catch (error) { /* later */ }
  }

  function messageCreated(event) {
    if (event.room !== roomId) return;
    const info = document.getElementById("room-info");
    if (renderedForMe(event)) {
      window.roomPage?.append(event.html);
      if (info && event.info_html) info.innerHTML = event.info_html;
    } else {
      window.roomPage?.poll();
      refreshInfo();
    }
    if (event.kind === "contact") window.roomPage?.typing(false);
  }

  function roomChanged(event) {
    if (event.room !== roomId) return;
    if (event.event === "room.taken" && event.agent_id !== me && event.agent) {
      notice(interpolate(gettext("%(agent)s took this chat."), { agent: event.agent }, true));
    }
    refreshRoomState();
  }

  const handlers = {
    "queue.added": (event) => { queueAdded(event); refreshCounters(); },
    "queue.removed": (event) => { queueRemoved(event); refreshCounters(); },
    "message.created": messageCreated,
    "message.updated": (event) => { if (event.room === roomId) window.roomPage?.replace(event.html); },
    "room.changed": roomChanged,
    "my_rooms.changed": () => {
      refreshSidebar();
      refreshCounters();
      // Take it! on a queued chat depends on how many chats this agent serves.
      if (document.querySelector("[data-take]")) refreshRoomState();
    },
    "room.assigned": (event) => {
      const text = event.comment
        ? interpolate(gettext("You were given the chat with %(contact)s: %(comment)s"), event, true)
        : interpolate(gettext("You were given the chat with %(contact)s."), event, true);
      notice(text);
      announce(text);
      refreshSidebar();
      refreshCounters();
    },
    "subscriptions.changed": () => { refreshSidebar(); refreshCounters(); },
    "presence.changed": (event) => {
      document.querySelectorAll(".user-menu .status-dot").forEach((dot) => {
        dot.className = `status-dot status-${event.status}`;
      });
    },
    signed_out: () => { window.location.reload(); },
    typing: (event) => { if (event.room === roomId) window.roomPage?.typing(event.active); },
    notice: (event) => { if (event.text) notice(event.text); },
    refresh: () => { refreshSidebar(); refreshCounters(); refreshRoomState(); window.roomPage?.poll(); },
  };
  // Other scripts add handlers for their own event types (teamchat.js: "chat.*", "hello").
  live.handlers = handlers;

  function connect() {
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${window.location.host}/ws/live/`);
    socket.addEventListener("open", () => {
      const reconnected = attempts > 0;
      attempts = 0;
      live.open = true;
      banner.hidden = true;
      if (roomId) socket.send(JSON.stringify({ type: "watch", room: roomId }));
      clearInterval(pingTimer);
      pingTimer = setInterval(() => socket.send(JSON.stringify({ type: "ping" })), 30000);
      if (reconnected) handlers.refresh();
    });
    socket.addEventListener("message", (message) => {
      let event;
      try { event = JSON.parse(message.data); } catch (error) { return; }
      const handler = handlers[event.type];
      if (handler) handler(event);
    });
    socket.addEventListener("close", () => {
      live.open = false;
      clearInterval(pingTimer);
      banner.hidden = false;
      attempts += 1;
      const delay = Math.min(30000, 500 * 2 ** Math.min(attempts, 6)) * (0.5 + Math.random() / 2);
      setTimeout(connect, delay);
    });
  }

  // First-response marks change with the clock, not with events: look at them twice a minute.
  function markServiceLevels() {
    const now = Date.now();
    document.querySelectorAll("[data-sla]").forEach((mark) => {
      const due = Number(mark.dataset.slaDue);
      const warning = Number(mark.dataset.slaWarning || 0);
      if (!due) return;
      const state = now >= due ? "past" : warning && now >= warning ? "near" : "";
      if (mark.dataset.slaState === state) return;
      mark.dataset.slaLabel = mark.dataset.slaLabel || mark.textContent;
      mark.dataset.slaState = state;
      mark.classList.toggle("sla-near", state === "near");
      mark.classList.toggle("sla-past", state === "past");
      mark.textContent = state === "past" ? gettext("Overdue")
        : state === "near" ? gettext("Due soon") : mark.dataset.slaLabel;
    });
  }
  setInterval(markServiceLevels, 30000);

  live.send = (frame) => {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
  };
  connect();
})();
