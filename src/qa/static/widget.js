/* qa chat widget: <script src="https://HOST/widget.js" data-title="Ask us" async></script>
 * Adds a floating bubble that opens a compact chat with cited answers. Everything lives in a
 * shadow root, so the host page's styles and ours never touch; every text from the
 * server is set with textContent, so nothing in a document can run in the host page. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__qaWidgetLoaded) return;
  window.__qaWidgetLoaded = true;
  var base = new URL(script.src, location.href).origin;
  var title = script.getAttribute("data-title") || "Ask the documents";
  var history = [];
  var MAX_TURNS = 40;  // the most turns /api/ask takes: older ones are left behind

  var host = document.createElement("qa-widget");
  host.setAttribute("data-qa-widget", "");
  var root = host.attachShadow({ mode: "open" });
  root.innerHTML =
    "<style>" +
    ":host{all:initial}" +
    "*{box-sizing:border-box;font-family:system-ui,sans-serif;font-size:14px}" +
    ".bubble{position:fixed;right:20px;bottom:20px;width:56px;height:56px;border-radius:50%;" +
    "border:0;background:#3b6ea5;color:#fff;cursor:pointer;z-index:2147483000;display:flex;" +
    "align-items:center;justify-content:center;" +
    "box-shadow:0 2px 10px rgba(0,0,0,.3)}" +
    ".panel{position:fixed;right:20px;bottom:88px;width:min(380px,calc(100vw - 40px));" +
    "height:min(540px,calc(100vh - 120px));background:#fff;color:#222;border-radius:10px;" +
    "box-shadow:0 4px 24px rgba(0,0,0,.3);display:none;flex-direction:column;z-index:2147483000}" +
    ".panel.open{display:flex}" +
    ".head{padding:10px 12px;background:#3b6ea5;color:#fff;border-radius:10px 10px 0 0;" +
    "display:flex;justify-content:space-between;align-items:center}" +
    ".head button{background:none;border:0;color:#fff;cursor:pointer}" +
    ".log{flex:1;overflow-y:auto;padding:10px}" +
    ".msg{margin:6px 0;padding:8px 10px;border-radius:8px;white-space:pre-wrap;" +
    "overflow-wrap:anywhere}" +
    ".user{background:#e8eef6;margin-left:30px}.bot{background:#f4f4f4;margin-right:10px}" +
    ".cite{border:0;background:none;color:#3b6ea5;cursor:pointer;padding:0 1px;font-weight:600}" +
    ".src{margin-top:6px;padding:6px 8px;border-left:3px solid #3b6ea5;background:#fff;" +
    "display:none}.src.open{display:block}.src q{display:block;margin-top:4px}" +
    ".meta{color:#666;font-size:12px}.status{color:#666;font-size:12px;margin-top:4px}" +
    "form{display:flex;gap:6px;padding:10px;border-top:1px solid #ddd}" +
    "input{flex:1;padding:8px;border:1px solid #bbb;border-radius:6px}" +
    "form button{padding:8px 12px;border:0;border-radius:6px;background:#3b6ea5;color:#fff}" +
    "</style>" +
    "<button class='bubble' aria-label='Open chat'><svg width='26' height='26' viewBox='0 0 24 24'" +
    " fill='none' stroke='#fff' stroke-width='2' aria-hidden='true'><path d='M21 12a8 8 0 0 1-11.6" +
    " 7.1L4 20l1-4.6A8 8 0 1 1 21 12z'/></svg></button>" +
    "<div class='panel' role='dialog'><div class='head'><span class='title'></span>" +
    "<span><button class='new' title='New conversation'>↺</button>" +
    "<button class='close' aria-label='Close'>✕</button></span></div>" +
    "<div class='log' aria-live='polite'></div>" +
    "<form><input maxlength='1000' placeholder='Ask a question…' aria-label='Question'>" +
    "<button type='submit'>Ask</button></form></div>";
  var $ = function (sel) { return root.querySelector(sel); };
  $(".title").textContent = title;
  var panel = $(".panel"), log = $(".log"), input = $("input"), form = $("form");
  $(".bubble").addEventListener("click", function () {
    panel.classList.toggle("open");
    if (panel.classList.contains("open")) input.focus();
  });
  $(".close").addEventListener("click", function () { panel.classList.remove("open"); });
  $(".new").addEventListener("click", function () { history = []; log.textContent = ""; });

  function add(cls, text) {
    var div = document.createElement("div");
    div.className = "msg " + cls;
    if (text) div.textContent = text;
    log.appendChild(div);
    log.scrollTop = log.scrollHeight;
    return div;
  }

  function render(div, answer) {
    div.textContent = "";
    var text = document.createElement("div");
    var sources = {};
    (answer.citations || []).forEach(function (c) {
      var box = document.createElement("div");
      box.className = "src";
      box.setAttribute("data-n", c.n);
      var head = document.createElement("b");
      head.textContent = "[" + c.n + "] " + c.title;
      var meta = document.createElement("div");
      meta.className = "meta";
      meta.textContent = [c.author, c.publisher, c.date, c.source].filter(Boolean).join(" · ");
      var quote = document.createElement("q");
      quote.textContent = c.quote;
      box.appendChild(head); box.appendChild(meta); box.appendChild(quote);
      sources[c.n] = box;
    });
    var body = answer.answer;
    if (answer.lead && body.indexOf(answer.lead + "\n") === 0) {  // the phrase that answers, first
      var lead = document.createElement("b");
      lead.className = "lead";
      lead.textContent = answer.lead;
      text.appendChild(lead);
      text.appendChild(document.createElement("br"));
      body = body.slice(answer.lead.length + 1);
    }
    body.split(/(\[\d+\])/).forEach(function (part) {
      var m = /^\[(\d+)\]$/.exec(part);
      if (m && sources[m[1]]) {
        var b = document.createElement("button");
        b.className = "cite";
        b.textContent = part;
        b.addEventListener("click", function () { sources[m[1]].classList.toggle("open"); });
        text.appendChild(b);
      } else {
        text.appendChild(document.createTextNode(part));
      }
    });
    div.appendChild(text);
    Object.keys(sources).forEach(function (n) { div.appendChild(sources[n]); });
    var status = document.createElement("div");
    status.className = "status";
    var ms = Math.round((answer.timings_ms || {}).total || 0);
    status.textContent = (answer.abstained ? "no answer in the documents" :
      (answer.citations.length + " source(s)")) + " · " + ms + " ms";
    div.appendChild(status);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var question = input.value.trim();
    if (!question) return;
    input.value = "";
    add("user", question);
    var reply = add("bot", "…");
    fetch(base + "/api/ask", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ question: question, history: history })
    }).then(function (r) {
      return r.json().then(function (body) { return { ok: r.ok, body: body }; });
    }).then(function (res) {
      if (!res.ok) { reply.textContent = res.body.error || "Something went wrong."; return; }
      render(reply, res.body);
      history.push({ role: "user", content: question },
                   { role: "assistant", content: res.body.answer });
      history = history.slice(-MAX_TURNS);
      log.scrollTop = log.scrollHeight;
    }).catch(function () { reply.textContent = "The assistant cannot be reached."; });
  });
  (document.body || document.documentElement).appendChild(host);
})();
