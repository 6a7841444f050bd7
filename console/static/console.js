// roomd console: confirmations in a dialog, actions without leaving the
// page, the room's live event log and the overview's refresh. Every page
// works without this script too (the server asks for confirmations on a
// page of its own).
(function () {
  'use strict';

  var statusBox = document.getElementById('status');

  function say(text, isError) {
    if (!statusBox) { return; }
    statusBox.textContent = text;
    statusBox.className = 'status ' + (isError ? 'error' : 'ok');
  }

  // Replaces the element with id by the same element of the page as the
  // server renders it now; calls done(ok) after.
  function refresh(id, done) {
    fetch(location.href, { headers: { Accept: 'text/html' }, credentials: 'same-origin' })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, 'text/html').getElementById(id);
        var cur = document.getElementById(id);
        if (fresh && cur) { cur.replaceWith(document.importNode(fresh, true)); }
        if (done) { done(true); }
      })
      .catch(function () { if (done) { done(false); } });
  }

  // Actions: a form with data-confirm asks in the dialog, then posts with
  // confirmed=yes and shows the answer in the status line.
  var dialog = document.getElementById('confirm-dialog');
  var pending = null;

  function question(form) {
    var text = form.getAttribute('data-confirm');
    var user = form.querySelector('input[name="user"]:not([type="hidden"])');
    return user ? text.split('\u27e8user\u27e9').join(user.value) : text;
  }

  document.addEventListener('submit', function (ev) {
    var form = ev.target;
    if (!form.hasAttribute('data-confirm') || !dialog || typeof dialog.showModal !== 'function' || !window.fetch) {
      return; // the server asks instead
    }
    ev.preventDefault();
    pending = form;
    document.getElementById('confirm-text').textContent = question(form);
    dialog.returnValue = '';
    dialog.showModal();
    document.getElementById('confirm-yes').focus();
  });

  if (dialog) {
    dialog.addEventListener('close', function () {
      var form = pending;
      pending = null;
      if (!form) { return; }
      if (dialog.returnValue !== 'confirm') {
        var b = form.querySelector('button');
        if (b && document.body.contains(b)) { b.focus(); }
        return;
      }
      send(form);
    });
  }

  function send(form) {
    var data = new URLSearchParams(new FormData(form));
    data.set('confirmed', 'yes');
    say('Working…', false);
    fetch(form.action, {
      method: 'POST',
      body: data,
      credentials: 'same-origin',
      headers: { Accept: 'application/json' }
    }).then(function (r) {
      return r.json().then(function (body) { return { ok: r.ok, body: body }; });
    }).then(function (res) {
      if (!res.ok) { say(res.body.error || 'The action was refused.', true); return; }
      say(res.body.message, false);
      if (res.body.location) { location.assign(res.body.location); return; }
      refresh('room-state');
    }).catch(function () {
      say('The request did not reach roomd. Is it running?', true);
    });
  }

  // The live event log of a room's page.
  var log = document.getElementById('log');
  var liveState = document.getElementById('live-state');
  var stateEvents = /^(owner\.|member\.|room\.)/;

  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function when(t) {
    var d = new Date(t);
    if (isNaN(d)) { return t; }
    return d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()) + ' ' +
      pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) + ':' + pad(d.getUTCSeconds()) + ' UTC';
  }
  function cell(tr, text, cls, tag) {
    var td = document.createElement('td');
    if (cls) { td.className = cls; }
    if (tag) {
      var inner = document.createElement(tag);
      inner.textContent = text;
      if (tag === 'code' && cls === 'data-cell') { inner.className = 'data'; }
      td.appendChild(inner);
    } else {
      td.textContent = text;
    }
    tr.appendChild(td);
    return td;
  }
  function addEvent(e) {
    if (log.querySelector('tr[data-seq="' + e.seq + '"]')) { return; }
    var tr = document.createElement('tr');
    tr.setAttribute('data-seq', String(e.seq));
    tr.className = 'new';
    cell(tr, String(e.seq), 'num');
    var t = document.createElement('time');
    t.setAttribute('datetime', e.time);
    t.textContent = when(e.time);
    cell(tr, '').appendChild(t);
    cell(tr, e.type, '', 'code');
    cell(tr, e.actor);
    cell(tr, JSON.stringify(e.data), 'data-cell', 'code');
    log.insertBefore(tr, log.firstChild);
    while (log.rows.length > 200) { log.deleteRow(log.rows.length - 1); }
  }

  if (log && log.hasAttribute('data-stream') && window.EventSource) {
    var refreshing = false, again = false;
    var refreshState = function () {
      if (refreshing) { again = true; return; }
      refreshing = true;
      refresh('room-state', function () {
        refreshing = false;
        if (again) { again = false; refreshState(); }
      });
    };
    var es = new EventSource(log.getAttribute('data-stream'));
    es.onmessage = function (m) {
      var e;
      try { e = JSON.parse(m.data); } catch (err) { return; }
      addEvent(e);
      if (stateEvents.test(e.type)) { refreshState(); }
    };
    es.addEventListener('reload', function () { es.close(); location.reload(); });
    es.onopen = function () {
      if (liveState) { liveState.textContent = 'Live: new events appear at the top as they happen.'; }
    };
    es.onerror = function () {
      if (liveState) { liveState.textContent = 'Live log interrupted; reconnecting…'; }
    };
  }

  // The overview refreshes its charts.
  var charts = document.getElementById('charts');
  if (charts && charts.hasAttribute('data-refresh') && window.fetch) {
    setInterval(function () {
      if (!document.hidden) { refresh('charts'); }
    }, Number(charts.getAttribute('data-refresh')) || 10000);
  }
}());
