{% load i18n %}{% translate "Chat with us" as open_label %}{% translate "Close the chat" as close_label %}/* Website chat loader: a "Chat with us" button that opens the chat in an iframe.
 *
 * <script src="{{ base_url|escapejs }}embed.js" data-department="support" async></script>
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var department = (script && script.getAttribute("data-department")) || "{{ department|escapejs }}";
  if (!/^[-a-zA-Z0-9_]{1,100}$/.test(department)) {
    console.warn("Website chat: set data-department on the script tag.");
    return;
  }
  var flag = "omnichannelLivechat_" + department;
  if (window[flag]) return; // included twice: one button is enough
  window[flag] = true;

  var base = "{{ base_url|escapejs }}";
  var openLabel = "{{ open_label|escapejs }}";
  var closeLabel = "{{ close_label|escapejs }}";
  var frameId = "omnichannel-livechat-" + department;
  var frame = null;

  var button = document.createElement("button");
  button.type = "button";
  button.textContent = openLabel;
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("aria-controls", frameId);
  // Inline styles: the host page's CSS is unknown and ours is not loaded there.
  button.style.cssText = [
    "position:fixed", "right:1rem", "bottom:1rem", "z-index:2147483000",
    "padding:.7rem 1.1rem", "border:0", "border-radius:999px", "cursor:pointer",
    "background:#1d74f5", "color:#fff", "font:600 1rem system-ui,sans-serif",
    "box-shadow:0 2px 10px rgba(0,0,0,.25)"
  ].join(";");

  function openFrame() {
    // Created on first use, so a page that never opens the chat never loads it.
    frame = document.createElement("iframe");
    frame.id = frameId;
    frame.title = openLabel;
    frame.src = base + encodeURIComponent(department) + "/";
    frame.style.cssText = [
      "position:fixed", "right:1rem", "bottom:4.5rem", "z-index:2147483000",
      "width:min(380px, calc(100vw - 2rem))", "height:min(600px, calc(100vh - 6rem))",
      "border:0", "border-radius:12px", "background:#fff",
      "box-shadow:0 4px 24px rgba(0,0,0,.25)"
    ].join(";");
    document.body.appendChild(frame);
  }

  button.addEventListener("click", function () {
    var opening = button.getAttribute("aria-expanded") !== "true";
    if (opening && !frame) openFrame();
    frame.style.display = opening ? "block" : "none";
    button.setAttribute("aria-expanded", String(opening));
    button.textContent = opening ? closeLabel : openLabel;
  });

  function mount() { document.body.appendChild(button); }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
