/* The website chat widget: sends the visitor's messages and polls their conversation.
 *
 * The visitor is known by a random token kept in localStorage (one per department) and sent
 * in the X-Visitor-Token header; the server keeps only its SHA-256 digest.
 */
(() => {
  "use strict";

  const root = document.getElementById("livechat");
  if (!root) return;

  const slug = root.dataset.department;
  const tokenKey = `livechat.token.${slug}`;
  const nameKey = `livechat.name.${slug}`;
  const pollInterval = Number(root.dataset.pollInterval) || 2500;
  const fileMaxBytes = Number(root.dataset.fileMaxBytes) || Infinity;
  const list = document.getElementById("livechat-messages");
  const status = document.getElementById("livechat-status");
  const form = document.getElementById("livechat-form");
  const errorBox = document.getElementById("livechat-error");
  const nameInput = document.getElementById("livechat-name");
  const textInput = document.getElementById("livechat-text");
  const fileInput = document.getElementById("livechat-file");
  const sendButton = document.getElementById("livechat-send");

  let lastId = 0;
  let pollTimer = null;
  let polling = false;
  let pollAgain = false;
  let changedAgain = 0;

  // Some browsers block storage in third-party iframes; the chat then lasts as long as the page.
  const memory = new Map();
  const storage = {
    get(key) {
      if (memory.has(key)) return memory.get(key);
      try {
        return window.localStorage.getItem(key);
      } catch {
        return null;
      }
    },
    set(key, value) {
      memory.set(key, value);
      try {
        window.localStorage.setItem(key, value);
      } catch {
        /* kept in memory only */
      }
    },
  };

  function newToken() {
    // 32 random bytes, base64url without padding: what Python's secrets.token_urlsafe(32) makes.
    const bytes = crypto.getRandomValues(new Uint8Array(32));
    return btoa(String.fromCharCode(...bytes))
      .replace(/\+/g, "-")
      .replace(/\//g, "_")
      .replace(/=+$/, "");
  }

  function visitorToken({ create = false } = {}) {
    let token = storage.get(tokenKey);
    if (!token && create) {
      token = newToken();
      storage.set(tokenKey, token);
    }
    return token;
  }

  function showError(text) {
    errorBox.textContent = text;
    errorBox.hidden = false;
  }

  function hideError() {
    errorBox.hidden = true;
    errorBox.textContent = "";
  }

  async function errorDetail(response) {
    try {
      const body = await response.json();
      if (body && body.detail) return body.detail;
    } catch {
      /* not JSON: fall through */
    }
    return root.dataset.sendFailed;
  }

  function localiseTimes(item) {
    for (const time of item.querySelectorAll("time[datetime]")) {
      const when = new Date(time.getAttribute("datetime"));
      if (!Number.isNaN(when.getTime())) {
        time.textContent = when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
      }
    }
  }

  async function loadFiles(item) {
    // File links need the token header, so they are fetched here and shown from a blob URL.
    for (const link of item.querySelectorAll("[data-livechat-file]")) {
      link.addEventListener("click", (event) => {
        if (!link.dataset.ready) event.preventDefault();
      });
      try {
        const response = await fetch(link.getAttribute("href"), {
          headers: { "X-Visitor-Token": visitorToken() },
        });
        if (!response.ok) continue;
        const url = URL.createObjectURL(await response.blob());
        link.href = url;
        link.dataset.ready = "1";
        const image = link.querySelector("img[data-livechat-src]");
        if (image) image.src = url;
      } catch {
        /* offline for a moment: the link stays inert */
      }
    }
  }

  function render(html) {
    const fragment = document.createElement("template");
    fragment.innerHTML = html;
    const fresh = fragment.content.querySelector("[data-livechat-status]");
    // Replace the status only when it changed, so screen readers announce it once.
    if (fresh && fresh.textContent.trim() !== status.textContent.trim()) {
      status.textContent = fresh.textContent.trim();
    }
    if (fresh) status.dataset.state = fresh.dataset.state;
    let added = null;
    for (const item of fragment.content.querySelectorAll("li[data-message-id]")) {
      const id = Number(item.dataset.messageId);
      if (id <= lastId) {
        // A message shown already: replaced only when an agent edited or deleted it since.
        const shown = list.querySelector(`li[data-message-id="${id}"]`);
        if (shown && shown.dataset.version !== item.dataset.version) {
          shown.replaceWith(item);
          localiseTimes(item);
        }
        continue;
      }
      list.append(item);
      lastId = id;
      added = item;
      localiseTimes(item);
      loadFiles(item);
    }
    if (added) added.scrollIntoView({ block: "end" });
    // What else the fragment carries (the survey, the transcript offer) is livechat_extras.js's.
    document.dispatchEvent(new CustomEvent("livechat:rendered", { detail: fragment.content }));
  }

  async function poll(changedId = 0) {
    const token = visitorToken();
    if (!token) return;
    if (polling) {
      // A message was just sent while a poll was on its way: fetch once more afterwards.
      pollAgain = true;
      if (changedId) changedAgain = changedId;
      return;
    }
    polling = true;
    try {
      // An edited or deleted message is fetched again with everything after it.
      const after = changedId > 0 && changedId <= lastId ? changedId - 1 : lastId;
      const url = `${root.dataset.conversationUrl}?after=${after}`;
      const response = await fetch(url, {
        headers: { "X-Visitor-Token": token },
        cache: "no-store",
      });
      if (response.ok) render(await response.text());
    } catch {
      /* offline for a moment: the next poll catches up */
    } finally {
      polling = false;
    }
    if (pollAgain) {
      pollAgain = false;
      const changed = changedAgain;
      changedAgain = 0;
      await poll(changed);
    }
  }

  function schedule() {
    clearTimeout(pollTimer);
    // With the live socket open, polling is only a safety net.
    const interval = socketOpen ? pollInterval * 6 : pollInterval;
    pollTimer = setTimeout(async () => {
      if (!document.hidden) await poll();
      schedule();
    }, interval);
  }

  // The live socket: hints that the conversation changed, and the agent's typing.
  let socket = null;
  let socketOpen = false;
  let attempts = 0;
  const typingNote = document.getElementById("livechat-typing");

  function connect() {
    const token = visitorToken();
    if (!token || socket) return;
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${window.location.host}/ws/livechat/${slug}/`);
    socket.addEventListener("open", () => {
      socket.send(JSON.stringify({ type: "hello", token }));
    });
    socket.addEventListener("message", (message) => {
      let event;
      try {
        event = JSON.parse(message.data);
      } catch {
        return;
      }
      if (event.type === "hello") {
        const reconnected = attempts > 0;
        attempts = 0;
        socketOpen = true;
        if (reconnected) poll();
      } else if (event.type === "conversation.changed") {
        if (typingNote) typingNote.hidden = true;
        poll(Number(event.message) || 0);
      } else if (event.type === "typing" && typingNote) {
        typingNote.hidden = !event.active;
      }
      // Other scripts of the widget (the queue position) follow the socket's events too.
      document.dispatchEvent(new CustomEvent("livechat:event", { detail: event }));
    });
    socket.addEventListener("close", () => {
      socket = null;
      socketOpen = false;
      attempts += 1;
      const delay = Math.min(30000, 500 * 2 ** Math.min(attempts, 6)) * (0.5 + Math.random() / 2);
      setTimeout(connect, delay);
    });
  }

  let typingTimer = null;
  function sendTyping(active) {
    if (socket && socketOpen) socket.send(JSON.stringify({ type: "typing", active }));
  }
  textInput.addEventListener("input", () => {
    if (!typingTimer) sendTyping(true);
    clearTimeout(typingTimer);
    typingTimer = setTimeout(() => {
      typingTimer = null;
      sendTyping(false);
    }, 3000);
  });

  // Each message carries an id made here: sending it again after a lost answer (the same text
  // and file) reuses the id, so the server stores it once.
  let draft = { id: null, key: null };

  function newClientId() {
    if (window.crypto && crypto.randomUUID) {
      return crypto.randomUUID();
    }
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function clientIdFor(file) {
    const key = JSON.stringify([textInput.value, file ? [file.name, file.size] : null]);
    if (draft.key !== key) {
      draft = { id: newClientId(), key };
    }
    return draft.id;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    hideError();
    const file = fileInput.files[0];
    if (file && file.size > fileMaxBytes) {
      showError(root.dataset.fileTooLarge);
      return;
    }
    const body = new FormData(form);
    body.set("client_id", clientIdFor(file));
    storage.set(nameKey, nameInput.value.trim());
    sendButton.disabled = true;
    try {
      const response = await fetch(root.dataset.messagesUrl, {
        method: "POST",
        body,
        headers: { "X-Visitor-Token": visitorToken({ create: true }) },
      });
      if (response.ok) {
        draft = { id: null, key: null };
        textInput.value = "";
        fileInput.value = "";
        clearTimeout(typingTimer);
        typingTimer = null;
        sendTyping(false);
        await poll();
        schedule();
        connect();
      } else {
        showError(await errorDetail(response));
      }
    } catch {
      showError(root.dataset.sendFailed);
    } finally {
      sendButton.disabled = false;
      textInput.focus();
    }
  });

  textInput.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  window.livechatWidget = { token: () => visitorToken(), refresh: () => poll() };
  nameInput.value = storage.get(nameKey) || "";
  if (visitorToken()) {
    // A returning visitor: show the conversation so far, then keep it fresh.
    poll().then(schedule);
    connect();
  }
})();
