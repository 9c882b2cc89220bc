/* The website chat widget: the visitor's place in the queue and the estimated wait, live.
 *
 * The conversation fragment carries the position when it is fetched (livechat:rendered); the
 * socket's queue.position events (livechat:event) keep it current in between.
 */
(() => {
  "use strict";

  const line = document.getElementById("livechat-queue");
  if (!line) return;

  function show(position, minutes) {
    if (!position) {
      line.hidden = true;
      line.textContent = "";
      return;
    }
    const template = minutes ? line.dataset.textPositionWait : line.dataset.textPosition;
    const text = template.replace("%(position)s", position).replace("%(minutes)s", minutes);
    // Replaced only when it changed, so screen readers announce each change once.
    if (line.textContent !== text) line.textContent = text;
    line.hidden = false;
  }

  document.addEventListener("livechat:rendered", (event) => {
    const fresh = event.detail && event.detail.querySelector("[data-livechat-queue]");
    if (fresh) show(fresh.dataset.position, fresh.dataset.waitMinutes);
  });

  document.addEventListener("livechat:event", (event) => {
    const frame = event.detail || {};
    if (frame.type === "queue.position") show(frame.position, frame.wait_minutes);
    else if (frame.type === "conversation.changed" && frame.status !== "queued") show("");
  });
})();
