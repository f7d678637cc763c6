// Run in every page docwatch renders, before the page's own scripts: what the page still has
// to do, so that one with nothing left is read at once, and one still at work is waited for.
// `window.__docwatchDrawing()` says how long its DOM has been still (ms), whether anything is
// scheduled that could change it within `soon` ms (a timer, an animation frame, an idle
// callback, a message just posted, a fetch or XHR unanswered), and whether it has loaded.
(() => {
  const now = () => performance.now();
  let changed = now(), posted = -Infinity, requests = 0;
  new MutationObserver(() => { changed = now(); }).observe(document,
    {subtree: true, childList: true, characterData: true, attributes: true});

  // Timers by id: when each is next due (an interval, from its start and period).
  const timers = new Map();
  const schedule = (set, clear, repeats) => {
    const original = window[set], cancel = window[clear];
    window[set] = function (handler, ms, ...rest) {
      const period = Math.max(0, Number(ms) || 0), start = now();
      const run = typeof handler === "function" ? function () {
        if (!repeats) timers.delete(id);
        return handler.apply(this, arguments);
      } : handler;  // code as a string: known by its due time alone
      const id = original.call(window, run, ms, ...rest);
      timers.set(id, {start, period, repeats, code: run === handler});
      return id;
    };
    window[clear] = function (id) { timers.delete(id); return cancel.call(window, id); };
  };
  schedule("setTimeout", "clearTimeout", false);
  schedule("setInterval", "clearInterval", true);
  const due = (t, at) => {
    if (!t.repeats) return t.start + t.period;
    const period = Math.max(t.period, 4);
    return t.start + Math.ceil(Math.max(at - t.start, period) / period) * period;
  };

  // Callbacks waiting for a frame or for idle time, by id.
  const callbacks = (request, cancel) => {
    const waiting = new Set(), original = window[request], stop = window[cancel];
    if (!original) return waiting;
    window[request] = function (callback, ...rest) {
      const id = original.call(window, function () {
        waiting.delete(id);
        return callback.apply(this, arguments);
      }, ...rest);
      waiting.add(id);
      return id;
    };
    window[cancel] = function (id) { waiting.delete(id); return stop.call(window, id); };
    return waiting;
  };
  const frames = callbacks("requestAnimationFrame", "cancelAnimationFrame");
  const idle = callbacks("requestIdleCallback", "cancelIdleCallback");

  // Messages: schedulers yield through them (a MessageChannel, window.postMessage), and a
  // worker sent one answers when it is done.
  const owners = [MessagePort.prototype, window, self.Worker && Worker.prototype,
                  self.BroadcastChannel && BroadcastChannel.prototype];
  for (const owner of owners.filter(Boolean)) {
    const post = owner.postMessage;
    owner.postMessage = function () { posted = now(); return post.apply(this, arguments); };
  }

  // Requests the page's scripts make, from the call until the answer is theirs.
  const fetch = window.fetch;
  window.fetch = function () {
    const answer = fetch.apply(this, arguments);  // throws as fetch does, counting nothing
    requests++;
    return answer.finally(() => { requests--; });
  };
  const send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.send = function () {
    const sent = send.apply(this, arguments);  // a send that throws never ends: not counted
    requests++;
    this.addEventListener("loadend", () => { requests--; }, {once: true});
    return sent;
  };

  Object.defineProperty(window, "__docwatchDrawing", {value: (soon) => {
    const at = now();
    for (const [id, t] of timers) if (t.code && due(t, at) < at - 1000) timers.delete(id);
    let busy = requests > 0 || frames.size > 0 || idle.size > 0 || at - posted < soon;
    for (const t of timers.values()) if (due(t, at) <= at + soon) { busy = true; break; }
    return {still: at - changed, busy, loaded: document.readyState === "complete"};
  }});
})();
