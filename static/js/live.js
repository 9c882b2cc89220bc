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

  function queueAdded(event) {
    const list = document.querySelector("[data-queued-list]");
    if (!list) return;
    list.querySelector(`[data-queued-room="${event.room}"]`)?.remove();
    const item = parse(event.html).firstElementChild;
    const key = Number(item.dataset.queuedAt);
    const after = [...list.children].find((other) => Number(other.dataset.queuedAt) > key);
    list.insertBefore(item, after || null);
    updateQueueCount();
    announce(`${item.querySelector("a")?.firstChild?.textContent.trim() || ""} ${body.dataset.textQueued || ""}`);
  }

  function queueRemoved(event) {
    document.querySelector(`[data-queued-list] [data-queued-room="${event.room}"]`)?.remove();
    updateQueueCount();
  }

  function messageCreated(event) {
    if (event.room !== roomId) return;
    window.roomPage?.append(event.html);
    const info = document.getElementById("room-info");
    if (info && event.info_html) info.innerHTML = event.info_html;
    if (event.kind === "contact") window.roomPage?.typing(false);
  }

  function roomChanged(event) {
    if (event.room !== roomId) return;
    if (event.event === "room.taken" && event.agent_id !== me && event.agent) {
      notice(`${event.agent} ${body.dataset.textTook || "took this chat."}`);
    }
    refreshRoomState();
  }

  const handlers = {
    "queue.added": (event) => { queueAdded(event); refreshCounters(); },
    "queue.removed": (event) => { queueRemoved(event); refreshCounters(); },
    "message.created": messageCreated,
    "message.updated": (event) => { if (event.room === roomId) window.roomPage?.replace(event.html); },
    "room.changed": roomChanged,
    "my_rooms.changed": () => { refreshSidebar(); refreshCounters(); },
    "subscriptions.changed": () => { refreshSidebar(); refreshCounters(); },
    "presence.changed": (event) => {
      document.querySelectorAll(".user-menu .status-dot").forEach((dot) => {
        dot.className = `status-dot status-${event.status}`;
      });
    },
    signed_out: () => { window.location.reload(); },
    typing: (event) => { if (event.room === roomId) window.roomPage?.typing(event.active); },
    refresh: () => { refreshSidebar(); refreshCounters(); refreshRoomState(); window.roomPage?.poll(); },
  };

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

  live.send = (frame) => {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
  };
  connect();
})();
