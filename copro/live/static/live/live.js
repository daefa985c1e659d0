/* The live feed: new entries and questions appear without reloading the page.
 *
 * A WebSocket brings every change as it is made. When it drops, the script reconnects with growing
 * pauses (1, 2, 4 ... up to 30 seconds) and asks for everything after the last number it has, so nothing
 * is missed; after three failed tries it also polls the same data every 10 seconds until the socket is
 * back. Without JavaScript the page is a plain list with a Refresh link.
 *
 * Only the server's "sync" replies move the number to resume from: a push can be dropped on the way (the
 * channel layer drops messages silently when full), so the script also asks to catch up from that number
 * every 45 seconds, when the page is shown again and when the device comes back online. Rows that come
 * twice are applied once (each row's own number is checked).
 *
 * Text from people is only ever put in the page with textContent, never as HTML.
 */
(function () {
  "use strict";

  var root = document.querySelector("[data-live]");
  var textsNode = document.getElementById("live-text");
  if (!root || !textsNode) { return; }
  var T = JSON.parse(textsNode.textContent);

  var POLL_MS = 10000;
  var MAX_BACKOFF_MS = 30000;
  var TRIES_BEFORE_POLLING = 3;
  var CATCH_UP_MS = 45000; // how often an open socket asks for anything a dropped push left out
  var CATCH_UP_GAP_MS = 2100; // the server answers at most one catch-up every 2 seconds
  var ANNOUNCE_MS = 3000; // at most one announcement of new entries every 3 s

  var mode = root.getAttribute("data-mode");
  var order = root.getAttribute("data-order") || "newest";
  var feedStatus = root.getAttribute("data-status");
  var lang = document.documentElement.lang || "en";
  var entryLimit = parseInt(root.getAttribute("data-entry-limit"), 10) || 0;
  var questionLimit = parseInt(root.getAttribute("data-question-limit"), 10) || 0;
  var entryUrl = root.getAttribute("data-entry-url");
  var questionUrl = root.getAttribute("data-question-url");

  var entriesEl = root.querySelector("[data-live-entries]");
  var questionsEl = root.querySelector("[data-live-questions]");
  var queueEl = root.querySelector("[data-live-queue]");
  var statusEl = root.querySelector("[data-live-status]");
  var refreshEl = root.querySelector("[data-live-refresh]");
  var announceEl = root.querySelector("[data-live-announce]");
  var likeTemplate = document.getElementById("live-like-template");
  var queueTemplate = document.getElementById("live-queue-template");

  // --- Where we are: the last sequence number the server confirmed ------------------------------------
  var syncedSeq = parseInt(root.getAttribute("data-seq"), 10) || 0; // everything up to here is in the page
  var entrySeq = {};
  var questionSeq = {};

  function noteSynced(n) {
    if (n > syncedSeq) { syncedSeq = n; }
  }
  // The number to ask from: only "sync" replies move it. Pushes are applied but never trusted to be
  // complete (one may have been dropped); asking from a little earlier just resends rows.
  function resumeFrom() {
    return syncedSeq;
  }

  function each(list, fn) { Array.prototype.forEach.call(list, fn); }
  if (entriesEl) { each(entriesEl.children, function (li) { entrySeq[li.getAttribute("data-id")] = parseInt(li.getAttribute("data-seq"), 10) || 0; }); }
  if (questionsEl) { each(questionsEl.children, function (li) { questionSeq[li.getAttribute("data-id")] = parseInt(li.getAttribute("data-seq"), 10) || 0; }); }
  if (queueEl) { each(queueEl.children, function (li) { questionSeq[li.getAttribute("data-id")] = parseInt(li.getAttribute("data-seq"), 10) || 0; }); }

  // --- Building the page's pieces ----------------------------------------------------------------------
  var timeFormat = null;
  try {
    timeFormat = new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit", hour12: false, timeZone: root.getAttribute("data-tz") || undefined });
  } catch (e) { timeFormat = null; }
  function hhmm(iso) {
    if (!iso) { return ""; }
    var d = new Date(iso);
    return timeFormat ? timeFormat.format(d) : iso.slice(11, 16);
  }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }
  function dot(parent) { parent.appendChild(document.createTextNode(" · ")); }
  function sameSitePath(path) { return typeof path === "string" && /^\/[^\/\\]/.test(path); }
  function withId(url, segment, id) { return url.replace("/" + segment + "/0/", "/" + segment + "/" + id + "/"); }
  function likesText(n) { return (n === 1 ? T.like_one : T.like_many).replace("%(n)s", String(n)); }

  function buildEntry(data) {
    var li = el("li", "live-entry live-entry--" + data.kind + (data.withdrawn ? " live-entry--withdrawn" : ""));
    li.id = "entry-" + data.id;
    li.setAttribute("data-id", data.id);
    li.setAttribute("data-seq", data.seq);
    var meta = el("p", "live-entry__meta");
    meta.appendChild(el("span", "live-kind", T["kind_" + data.kind] || data.kind));
    dot(meta);
    var time = el("time", null, hhmm(data.created_at));
    time.setAttribute("datetime", data.created_at || "");
    meta.appendChild(time);
    dot(meta);
    meta.appendChild(el("span", "live-author", data.author || T.former));
    if (data.edited_at && !data.withdrawn) { dot(meta); meta.appendChild(el("span", "live-corrected", T.corrected)); }
    li.appendChild(meta);
    if (data.withdrawn) {
      li.appendChild(el("p", "live-entry__withdrawn", T.withdrawn + (data.withdrawn_reason ? " " + data.withdrawn_reason : "")));
    } else {
      if (data.text) { li.appendChild(el("p", "live-entry__text", data.text)); }
      if (data.photo && sameSitePath(data.photo)) {
        var figure = el("figure", "live-entry__photo");
        var img = document.createElement("img");
        img.src = data.photo;
        img.alt = data.photo_alt || "";
        figure.appendChild(img);
        li.appendChild(figure);
      }
    }
    if (entryUrl) {
      var tools = el("p", "live-entry__tools");
      var link = el("a", null, T.correct);
      link.href = withId(entryUrl, "entries", data.id);
      link.appendChild(el("span", "visually-hidden", " " + hhmm(data.created_at)));
      tools.appendChild(link);
      li.appendChild(tools);
    }
    return li;
  }

  // Insert in order of id (newest first, or oldest first), so a late arrival still lands in its place.
  function insertById(list, node, id) {
    var before = null;
    each(list.children, function (child) {
      if (before) { return; }
      var other = parseInt(child.getAttribute("data-id"), 10);
      if (order === "newest" ? other < id : other > id) { before = child; }
    });
    list.insertBefore(node, before);
  }

  function limitShown(list, limit) {
    if (!list || !limit) { return; }
    each(list.children, function (child, i) { child.hidden = i >= limit; });
  }
  function toggleEmpty(list, selector) {
    var empty = root.querySelector(selector);
    if (empty && list) { empty.hidden = list.children.length > 0; }
  }
  function replaceKeepingFocus(old, node) {
    var hadFocus = old.contains(document.activeElement);
    old.parentNode.replaceChild(node, old);
    if (hadFocus) {
      var target = node.querySelector("a, button") || node;
      if (target === node) { node.setAttribute("tabindex", "-1"); }
      target.focus();
    }
  }

  var newEntries = 0;
  function applyEntry(data) {
    var known = entrySeq[data.id];
    if (known !== undefined && known >= data.seq) { return; }
    entrySeq[data.id] = data.seq;
    if (!entriesEl) { return; }
    var old = document.getElementById("entry-" + data.id);
    if (mode === "present" && data.withdrawn) {
      if (old) { old.parentNode.removeChild(old); }
    } else {
      var node = buildEntry(data);
      if (old) { replaceKeepingFocus(old, node); } else { insertById(entriesEl, node, data.id); }
    }
    if (known === undefined && !data.withdrawn) { newEntries += 1; }
    limitShown(entriesEl, entryLimit);
    toggleEmpty(entriesEl, "[data-live-empty]");
  }

  function questionMeta(li, data) {
    var kind = li.querySelector(".live-qkind");
    if (kind) { kind.textContent = T["kind_" + data.kind] || data.kind; }
    var author = li.querySelector(".live-qauthor");
    if (author) { author.textContent = data.author || T.name_not_shown; }
  }

  // Buttons say which question they act on, for people using a screen reader ("Like: Who decides?").
  function shortText(text) {
    text = text || "";
    return text.length > 60 ? text.slice(0, 59) + "…" : text;
  }
  function nameButtons(node, text) {
    each(node.querySelectorAll("[data-live-qname]"), function (span) { span.textContent = ": " + shortText(text); });
  }

  function buildQuestion(data) {
    var li = el("li", "live-question");
    li.id = "question-" + data.id;
    li.setAttribute("data-id", data.id);
    li.appendChild(el("p", "live-question__text"));
    var meta = el("p", "meta");
    meta.appendChild(el("span", "live-qkind"));
    dot(meta);
    meta.appendChild(el("span", "live-qauthor"));
    dot(meta);
    meta.appendChild(el("span", "live-likes"));
    li.appendChild(meta);
    var answer = el("div", "live-question__answer");
    answer.appendChild(el("p", "live-question__answer-label", T.answer_label || ""));
    answer.appendChild(el("p", "live-question__answer-text"));
    li.appendChild(answer);
    if (likeTemplate && likeTemplate.content && likeTemplate.content.firstElementChild) {
      var form = likeTemplate.content.firstElementChild.cloneNode(true);
      form.setAttribute("action", withId(form.getAttribute("action"), "questions", data.id));
      li.appendChild(form);
    }
    if (questionUrl) {
      var p = el("p");
      var link = el("a", null, T.answer_or_take_down || "");
      link.href = withId(questionUrl, "questions", data.id);
      link.appendChild(el("span", "visually-hidden", ": " + shortText(data.text)));
      p.appendChild(link);
      li.appendChild(p);
    }
    return li;
  }

  function fillQuestion(li, data) {
    li.setAttribute("data-seq", data.seq);
    li.setAttribute("data-likes", data.like_count);
    var text = li.querySelector(".live-question__text");
    if (text) { text.textContent = data.text; }
    nameButtons(li, data.text);
    questionMeta(li, data);
    var likes = li.querySelector(".live-likes");
    if (likes) { likes.textContent = likesText(data.like_count); }
    var answer = li.querySelector(".live-question__answer");
    if (answer) {
      answer.hidden = !data.answer;
      var answerText = answer.querySelector(".live-question__answer-text");
      if (answerText) { answerText.textContent = data.answer || ""; }
    }
  }

  var needsSort = false;
  function sortQuestions() {
    if (!questionsEl) { return; }
    if (questionsEl.contains(document.activeElement)) { needsSort = true; return; } // never move what has focus
    needsSort = false;
    var items = Array.prototype.slice.call(questionsEl.children);
    var sorted = items.slice().sort(function (a, b) {
      return (parseInt(b.getAttribute("data-likes"), 10) - parseInt(a.getAttribute("data-likes"), 10)) ||
        (parseInt(a.getAttribute("data-id"), 10) - parseInt(b.getAttribute("data-id"), 10));
    });
    var changed = sorted.some(function (node, i) { return node !== items[i]; });
    if (changed) { sorted.forEach(function (node) { questionsEl.appendChild(node); }); }
    limitShown(questionsEl, questionLimit);
  }
  if (questionsEl) {
    questionsEl.addEventListener("focusout", function () {
      window.setTimeout(function () { if (needsSort) { sortQuestions(); } }, 0);
    });
  }

  function removeNode(id) {
    var node = document.getElementById(id);
    if (node && node.parentNode) { node.parentNode.removeChild(node); }
  }

  var newQueue = 0;
  var newQuestions = 0;
  function applyQuestion(data) {
    var known = questionSeq[data.id];
    if (known !== undefined && known >= data.seq) { return; }
    questionSeq[data.id] = data.seq;
    if (queueEl) {
      var waiting = document.getElementById("queue-" + data.id);
      if (data.status === "pending") {
        if (!waiting && queueTemplate && queueTemplate.content.firstElementChild) {
          waiting = queueTemplate.content.firstElementChild.cloneNode(true);
          waiting.id = "queue-" + data.id;
          waiting.setAttribute("data-id", data.id);
          var form = waiting.querySelector("form");
          if (form) { form.setAttribute("action", withId(form.getAttribute("action"), "questions", data.id)); }
          nameButtons(waiting, data.text);
          var time = waiting.querySelector("time");
          if (time) { time.textContent = hhmm(data.created_at); time.setAttribute("datetime", data.created_at || ""); }
          queueEl.appendChild(waiting);
          newQueue += 1;
        }
        if (waiting) {
          waiting.setAttribute("data-seq", data.seq);
          waiting.querySelector(".live-question__text").textContent = data.text;
          questionMeta(waiting, data);
        }
      } else if (waiting) {
        // Decided (here or by another moderator): it leaves the queue. Focus moves on, never lost.
        var next = waiting.nextElementSibling || waiting.previousElementSibling;
        var hadFocus = waiting.contains(document.activeElement);
        removeNode("queue-" + data.id);
        if (hadFocus) {
          var target = next ? next.querySelector("button") : document.getElementById("queue-heading");
          if (target) {
            if (!next) { target.setAttribute("tabindex", "-1"); }
            target.focus();
          }
        }
      }
      toggleEmpty(queueEl, "[data-live-queue-empty]");
    }
    if (!questionsEl) { return; }
    var li = document.getElementById("question-" + data.id);
    if (data.status !== "approved") {
      if (li && li.parentNode === questionsEl) { questionsEl.removeChild(li); }
    } else {
      if (!li) {
        li = buildQuestion(data);
        questionsEl.appendChild(li);
        newQuestions += 1; // newly shown to everyone: said aloud (throttled, in announce)
      }
      fillQuestion(li, data);
      sortQuestions();
    }
    toggleEmpty(questionsEl, "[data-live-questions-empty]");
  }

  // --- Saying what is going on -------------------------------------------------------------------------
  var connState = "connecting";
  var closedForGood = false;
  function renderStatus() {
    root.setAttribute("data-conn", connState);
    if (!statusEl) { return; }
    var text;
    if (feedStatus === "ended") { text = T.ended; }
    else if (connState === "gone") { text = T.gone; }
    else if (feedStatus === "waiting") { text = T.waiting + (connState === "polling" ? " " + T.polling : ""); }
    else { text = { live: T.live, reconnecting: T.reconnecting, polling: T.polling, connecting: T.connecting }[connState]; }
    statusEl.textContent = text;
    if (refreshEl) { refreshEl.hidden = connState === "live" || connState === "polling"; }
  }
  function setConn(state) { connState = state; renderStatus(); }

  var announceTimer = null;
  function announce() {
    if (!announceEl || announceTimer || (!newEntries && !newQueue && !newQuestions)) { return; }
    announceTimer = window.setTimeout(function () {
      var parts = [];
      if (newEntries) { parts.push(newEntries === 1 ? T.new_one : T.new_many.replace("%(n)s", String(newEntries))); }
      if (newQuestions && T.new_question) { parts.push(T.new_question); }
      if (newQueue) { parts.push(T.queue_new); }
      newEntries = 0;
      newQueue = 0;
      newQuestions = 0;
      announceEl.textContent = parts.join(" ");
      announceTimer = null;
    }, ANNOUNCE_MS);
  }

  function applyStatus(status) {
    if (!status) { return; }
    feedStatus = status.status;
    root.setAttribute("data-status", feedStatus);
    if (feedStatus === "ended") { stopEverything(); }
    renderStatus();
  }

  function handle(message) {
    if (!message || typeof message !== "object") { return; }
    if (message.type === "sync") {
      (message.entries || []).forEach(applyEntry);
      (message.questions || []).forEach(applyQuestion);
      applyStatus(message.status);
      if (typeof message.seq === "number") { noteSynced(message.seq); }
      if (message.more) {
        if (polling) { poll(); } else { window.setTimeout(catchUp, CATCH_UP_GAP_MS); }
      }
    } else if (message.type === "entry" && message.entry) {
      applyEntry(message.entry);
    } else if (message.type === "question" && message.question) {
      applyQuestion(message.question);
    } else if (message.type === "status") {
      applyStatus(message.status);
    } else if (message.type === "access") {
      // This person's role changed (a reporter removed, say): the page's tools are out of date.
      stopEverything();
      window.location.reload();
      return;
    }
    announce();
  }

  // --- The connection: WebSocket first, polling when it fails -------------------------------------------
  var socket = null;
  var tries = 0;
  var retryTimer = null;
  var pollTimer = null;
  var polling = false;

  function poll() {
    var url = root.getAttribute("data-poll") + "?after=" + resumeFrom();
    window.fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { if (!response.ok) { throw new Error(String(response.status)); } return response.json(); })
      .then(handle)
      .catch(function () { /* the next poll tries again */ });
  }
  function startPolling() {
    if (polling || closedForGood || !window.fetch) { return; }
    polling = true;
    setConn("polling");
    poll();
    pollTimer = window.setInterval(poll, POLL_MS);
  }
  function stopPolling() {
    polling = false;
    if (pollTimer) { window.clearInterval(pollTimer); pollTimer = null; }
  }
  // Ask an open socket for everything after the last confirmed number (a dropped push comes back this way).
  var lastCatchUp = 0;
  function catchUp() {
    if (closedForGood) { return; }
    if (polling) { poll(); return; }
    if (!socket || socket.readyState !== 1) { return; }
    if (Date.now() - lastCatchUp < CATCH_UP_GAP_MS) { return; }
    lastCatchUp = Date.now();
    try { socket.send(JSON.stringify({ type: "catch_up", after: resumeFrom() })); } catch (e) { /* reconnects */ }
  }
  var catchUpTimer = window.setInterval(catchUp, CATCH_UP_MS);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { catchUp(); }
  });

  function stopEverything() {
    closedForGood = true;
    if (catchUpTimer) { window.clearInterval(catchUpTimer); catchUpTimer = null; }
    stopPolling();
    if (retryTimer) { window.clearTimeout(retryTimer); retryTimer = null; }
    if (socket) { try { socket.close(1000); } catch (e) { /* already closed */ } socket = null; }
  }

  function scheduleReconnect() {
    if (closedForGood || retryTimer) { return; }
    var delay = Math.min(MAX_BACKOFF_MS, 1000 * Math.pow(2, tries - 1));
    delay = delay / 2 + Math.random() * delay / 2; // so a room full of phones does not all retry at once
    if (!polling) { setConn("reconnecting"); }
    retryTimer = window.setTimeout(function () { retryTimer = null; connect(); }, delay);
  }

  function connect() {
    if (closedForGood) { return; }
    if (!("WebSocket" in window)) { startPolling(); return; }
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var url = scheme + window.location.host + root.getAttribute("data-socket") + "?after=" + resumeFrom();
    try {
      socket = new window.WebSocket(url);
    } catch (e) {
      tries += 1;
      startPolling();
      scheduleReconnect();
      return;
    }
    socket.onopen = function () {
      tries = 0;
      lastCatchUp = Date.now(); // the address carried ?after=: the server has just caught us up
      stopPolling();
      setConn("live");
    };
    socket.onmessage = function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      handle(message);
    };
    socket.onclose = function (event) {
      socket = null;
      if (event.code === 4404 || event.code === 4400) {
        stopEverything();
        setConn("gone");
        return;
      }
      if (closedForGood) { return; }
      tries += 1;
      if (tries >= TRIES_BEFORE_POLLING) { startPolling(); }
      scheduleReconnect();
    };
  }

  window.addEventListener("online", function () {
    if (!socket && !closedForGood) {
      if (retryTimer) { window.clearTimeout(retryTimer); retryTimer = null; }
      connect();
    } else {
      catchUp();
    }
  });

  // --- Likes without leaving the page ------------------------------------------------------------------
  root.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || !form.hasAttribute || !form.hasAttribute("data-live-like") || !window.fetch) { return; }
    event.preventDefault();
    var undo = form.querySelector("input[name=undo]");
    var button = form.querySelector("button");
    window.fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
      credentials: "same-origin"
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (data) {
      if (undo) { undo.disabled = !data.liked; }
      if (button) { button.setAttribute("aria-pressed", data.liked ? "true" : "false"); }
      var li = form.closest("li");
      var likes = li && li.querySelector(".live-likes");
      if (likes) { likes.textContent = likesText(data.like_count); li.setAttribute("data-likes", data.like_count); }
    }).catch(function () {
      form.submit(); // the ordinary way: the page reloads with the result
    });
  });

  // --- A photo too large is caught before it is sent (the server checks again) -------------------------
  var post = root.querySelector("[data-live-post]");
  if (post) {
    var file = post.querySelector("input[type=file]");
    var error = post.querySelector("[data-live-photo-error]");
    var maxBytes = file ? parseInt(file.getAttribute("data-max-bytes"), 10) : 0;
    if (file && error && maxBytes) {
      error.id = "live-photo-error";
      error.setAttribute("role", "alert");
      file.addEventListener("change", function () {
        var chosen = file.files && file.files[0];
        if (chosen && chosen.size > maxBytes) {
          error.textContent = T.photo_too_big;
          error.hidden = false;
          file.value = "";
          file.setAttribute("aria-describedby", ((file.getAttribute("aria-describedby") || "") + " live-photo-error").trim());
        } else {
          error.hidden = true;
          error.textContent = "";
        }
      });
    }
  }

  renderStatus();
  if (feedStatus === "ended") { closedForGood = true; return; }
  connect();
}());
