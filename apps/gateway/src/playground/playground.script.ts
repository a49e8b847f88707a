/**
 * The playground's script: plain browser JavaScript, inlined in the page and allowed by its hash in
 * the CSP. Nothing from an API response ever becomes markup: the SVG is shown through an <img> of a
 * blob: URL, and error text goes in through textContent (the page also requires Trusted Types, so an
 * innerHTML sink would be refused outright). The work is kept in the link's fragment and in local
 * storage (never the API key: a signed-in page holds only the session's CSRF token, in memory).
 */
export const PLAYGROUND_SCRIPT = `
(function () {
  'use strict';
  var RENDER_DEBOUNCE_MS = 400;
  var SAVE_DEBOUNCE_MS = 300;
  var STORAGE_KEY = 'flowsmith.playground';
  /** A link's JSON is at most this long once inflated (a source is at most 100 KB): no inflation bombs. */
  var MAX_STATE_CHARS = 1000000;
  var MIN_SCALE = 0.1;
  var MAX_SCALE = 8;
  var $ = function (id) { return document.getElementById(id); };
  var root = document.documentElement;
  var editor = $('source');
  var gutter = $('gutter');
  var formatPicker = $('format');
  var themePicker = $('theme');
  var schemeToggle = $('scheme');
  var copyLink = $('copy-link');
  var stage = $('stage');
  var preview = $('preview');
  var placeholder = $('placeholder');
  var busy = $('busy');
  var typeChip = $('diagram-type');
  var sizeChip = $('diagram-size');
  var markChip = $('watermark');
  var alertBox = $('error');
  var notice = $('notice');
  var downloadSvg = $('download-svg');
  var downloadPng = $('download-png');
  var zoomLevel = $('zoom-level');
  var zoomButtons = [$('zoom-out'), $('zoom-in'), $('zoom-fit'), $('zoom-actual')];
  var aiForm = $('ai');
  var aiPrompt = $('ai-prompt');
  var aiHint = $('ai-hint');
  var aiButton = $('ai-generate');
  var aiStatus = $('ai-status');
  var aiError = $('ai-error');
  var samples = JSON.parse($('samples').textContent);
  var settings = JSON.parse($('settings').textContent);

  var drafts = {};
  var lastFormat = formatPicker.value;
  /** The picture on the stage and exactly what it was rendered from. */
  var shown = null;
  var pending = null;
  var timer = null;
  var sequence = 0;
  var failed = false;
  var exporting = false;
  var wantedTheme = settings.defaultTheme;
  /** The preview's zoom and offset; fit while the visitor has not zoomed or panned since the last Fit. */
  var view = { scale: 1, x: 0, y: 0, fit: true };
  /** The browser session (GET /api/v1/sessions/current) while signed in: its CSRF token and key. */
  var session = null;

  // ---- colour scheme: follow the system until the visitor picks one ----
  var media = window.matchMedia('(prefers-color-scheme: dark)');
  var chosen = null;
  try { chosen = localStorage.getItem('flowsmith.scheme'); } catch (e) { /* storage blocked */ }
  function applyScheme() {
    var scheme = chosen === 'dark' || chosen === 'light' ? chosen : (media.matches ? 'dark' : 'light');
    root.setAttribute('data-scheme', scheme);
    schemeToggle.setAttribute('aria-pressed', String(scheme === 'dark'));
    schemeToggle.setAttribute('aria-label', scheme === 'dark' ? 'Switch to light mode' : 'Switch to dark mode');
    schemeToggle.title = schemeToggle.getAttribute('aria-label');
  }
  schemeToggle.addEventListener('click', function () {
    chosen = root.getAttribute('data-scheme') === 'dark' ? 'light' : 'dark';
    try { localStorage.setItem('flowsmith.scheme', chosen); } catch (e) { /* not remembered */ }
    applyScheme();
  });
  media.addEventListener('change', applyScheme);
  applyScheme();

  // ---- editor: line numbers that follow the text and its scroll ----
  function renderGutter(errorLine) {
    var lines = editor.value.split('\\n').length;
    while (gutter.childElementCount < lines) {
      var n = document.createElement('span');
      n.textContent = String(gutter.childElementCount + 1);
      gutter.appendChild(n);
    }
    while (gutter.childElementCount > lines) gutter.removeChild(gutter.lastElementChild);
    for (var i = 0; i < gutter.children.length; i++) {
      gutter.children[i].classList.toggle('error', i + 1 === errorLine);
    }
    gutter.scrollTop = editor.scrollTop;
  }
  editor.addEventListener('scroll', function () { gutter.scrollTop = editor.scrollTop; });
  $('skip').addEventListener('click', function (event) { event.preventDefault(); editor.focus(); });

  function notify(text) {
    $('notice-text').textContent = text;
    notice.hidden = false;
  }
  $('notice-close').addEventListener('click', function () { notice.hidden = true; });

  // ---- errors: the API's envelope, shown as text ----
  function empty(element) {
    while (element.firstChild) element.removeChild(element.firstChild);
  }
  function lineOf(message) {
    var match = /line (\\d+)/i.exec(message || '');
    return match ? Number(match[1]) : null;
  }
  function fillError(box, title, envelope, fallback) {
    var error = (envelope && envelope.error) || {};
    var message = error.message || fallback || 'Something went wrong.';
    var line = box === alertBox ? lineOf(message) : null;
    empty(box);
    var head = document.createElement('strong');
    head.textContent = title;
    box.appendChild(head);
    if (line) {
      var where = document.createElement('span');
      where.className = 'where';
      where.id = 'error-line';
      where.textContent = 'Line ' + line;
      box.appendChild(where);
    }
    var text = document.createElement('pre');
    text.id = box.id + '-message';
    text.textContent = message;
    box.appendChild(text);
    var hints = error.hints || {};
    var links = [['sign_up_url', 'Get an API key'], ['docs_url', 'Read the docs']];
    var list = null;
    links.forEach(function (pair) {
      var url = hints[pair[0]];
      if (typeof url !== 'string' || !/^(https?:\\/\\/|\\/)/.test(url)) return;
      if (!list) { list = document.createElement('div'); list.className = 'hints'; box.appendChild(list); }
      var a = document.createElement('a');
      a.href = url;
      a.textContent = pair[1];
      a.rel = 'noopener noreferrer';
      a.target = '_blank';
      list.appendChild(a);
    });
    if (error.code) box.setAttribute('data-code', error.code); else box.removeAttribute('data-code');
    box.hidden = false;
    return line;
  }
  function showError(title, envelope, fallback) {
    renderGutter(fillError(alertBox, title, envelope, fallback));
  }
  function clearError() {
    failed = false;
    stage.classList.remove('stale');
    alertBox.hidden = true;
    empty(alertBox);
    renderGutter(null);
  }
  function unreachable(error) {
    return 'Could not reach the API: ' + (error && error.message ? error.message : 'network error') + '.';
  }

  // ---- the API: anonymous, or as the session's key with its CSRF token ----
  function api(path, init) {
    var headers = { 'Accept': 'application/json' };
    Object.keys(init.headers || {}).forEach(function (name) { headers[name] = init.headers[name]; });
    var method = init.method || 'GET';
    var signedIn = session;
    if (signedIn && method !== 'GET') headers['X-CSRF-Token'] = signedIn.csrf_token;
    return fetch(path, { method: method, headers: headers, body: init.body, signal: init.signal, credentials: signedIn ? 'same-origin' : 'omit' })
      .then(function (response) {
        if (response.status === 401 && signedIn && signedIn === session) sessionEnded();
        return response;
      });
  }

  function currentSession() {
    return fetch('/api/v1/sessions/current', { headers: { 'Accept': 'application/json' }, credentials: 'same-origin' })
      .then(function (response) { return response.status === 200 ? response.json() : null; })
      .then(function (body) { return body && typeof body.csrf_token === 'string' && body.key ? body : null; })
      .catch(function () { return null; });
  }
  function showAccount() {
    $('anonymous').hidden = !!session;
    $('signed-in').hidden = !session;
    aiForm.hidden = !session;
    aiError.hidden = true;
    if (!session) { aiStatus.hidden = true; return; }
    $('account').textContent = session.key.name + ' \\u00b7 ' + session.key.plan;
    var canGenerate = Array.isArray(session.key.scopes) && session.key.scopes.indexOf('ai:write') >= 0;
    aiPrompt.disabled = aiHint.disabled = aiButton.disabled = !canGenerate;
    aiStatus.textContent = canGenerate ? '' : 'This key cannot generate diagrams: it lacks the ai:write scope.';
    aiStatus.hidden = canGenerate;
  }
  function sessionEnded() {
    session = null;
    showAccount();
    notify('Your session has ended: renders are anonymous (watermarked) again. Sign in from the console to lift that.');
    renderNow();
  }
  $('sign-out').addEventListener('click', function () {
    var button = $('sign-out');
    button.disabled = true;
    api('/api/v1/sessions/current', { method: 'DELETE' }).then(function (response) {
      if (!response.ok && response.status !== 401) {
        return response.json().catch(function () { return null; }).then(function (body) {
          notify('Signing out failed: ' + ((body && body.error && body.error.message) || 'the server answered ' + response.status + '.'));
        });
      }
      if (session) { session = null; showAccount(); renderNow(); }
    }).catch(function (error) {
      notify('Signing out failed. ' + unreachable(error));
    }).then(function () { button.disabled = false; });
  });

  // ---- the work, kept in the link (#pako: + base64url of the deflated JSON, as mermaid's live editor) and in this browser ----
  function currentState() {
    return { source: editor.value, format: formatPicker.value, theme: themePicker.value || settings.defaultTheme };
  }
  function validState(value) {
    if (!value || typeof value.source !== 'string' || settings.formats.indexOf(value.format) < 0) return null;
    return { source: value.source, format: value.format, theme: typeof value.theme === 'string' ? value.theme : settings.defaultTheme };
  }
  function base64url(bytes) {
    var binary = '';
    for (var i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    return btoa(binary).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
  }
  function fromBase64url(text) {
    var binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }
  function encodeState(state) {
    var deflated = new Blob([JSON.stringify(state)]).stream().pipeThrough(new CompressionStream('deflate'));
    return new Response(deflated).arrayBuffer().then(function (buffer) { return 'pako:' + base64url(new Uint8Array(buffer)); });
  }
  function decodeState(fragment) {
    return Promise.resolve().then(function () {
      var reader = new Blob([fromBase64url(fragment.slice('pako:'.length))]).stream()
        .pipeThrough(new DecompressionStream('deflate')).pipeThrough(new TextDecoderStream()).getReader();
      var text = '';
      function read() {
        return reader.read().then(function (chunk) {
          if (chunk.done) return text;
          text += chunk.value;
          if (text.length > MAX_STATE_CHARS) { reader.cancel(); throw new Error('too large'); }
          return read();
        });
      }
      return read();
    }).then(function (text) {
      var state = validState(JSON.parse(text));
      if (!state) throw new Error('not a diagram');
      return state;
    });
  }
  function storedState() {
    try { return validState(JSON.parse(localStorage.getItem(STORAGE_KEY) || 'null')); } catch (e) { return null; }
  }
  function sampleState() {
    return { source: samples[settings.formats[0]], format: settings.formats[0], theme: settings.defaultTheme };
  }

  var saveTimer = null;
  var saves = 0;
  /** Writes the work to local storage and the link now; resolves to the link's fragment. */
  function save() {
    clearTimeout(saveTimer);
    saveTimer = null;
    var state = currentState();
    var mine = ++saves;
    try { localStorage.setItem(STORAGE_KEY, JSON.stringify(state)); } catch (e) { /* the link still keeps it */ }
    return encodeState(state).then(function (fragment) {
      if (mine === saves) history.replaceState(history.state, '', '#' + fragment);
      return fragment;
    });
  }
  function saveSoon() {
    clearTimeout(saveTimer);
    saveTimer = setTimeout(save, SAVE_DEBOUNCE_MS);
  }

  function selectTheme() {
    var known = Array.prototype.some.call(themePicker.options, function (option) { return option.value === wantedTheme; });
    themePicker.value = known ? wantedTheme : settings.defaultTheme;
  }
  function applyState(state) {
    drafts = {};
    formatPicker.value = state.format;
    lastFormat = state.format;
    editor.value = state.source;
    editor.scrollTop = 0;
    wantedTheme = state.theme;
    selectTheme();
    clearError();
  }
  /** A link's state wins over this browser's; a link that cannot be read opens the sample, and says so. */
  function initialState() {
    var fragment = location.hash.slice(1);
    if (fragment.indexOf('pako:') !== 0) return Promise.resolve(storedState() || sampleState());
    return decodeState(fragment).catch(function () {
      history.replaceState(history.state, '', location.pathname + location.search);
      notify('The diagram in this link could not be read (it may have been cut short), so the sample opened instead.');
      return sampleState();
    });
  }
  window.addEventListener('hashchange', function () {
    var fragment = location.hash.slice(1);
    if (fragment.indexOf('pako:') !== 0) return;
    decodeState(fragment).then(function (state) {
      applyState(state);
      renderNow();
    }, function () {
      notify('The diagram in this link could not be read (it may have been cut short); your diagram is unchanged.');
    });
  });

  function copyText(text) {
    var viaCommand = function () {
      var area = document.createElement('textarea');
      area.value = text;
      area.setAttribute('readonly', '');
      area.className = 'offscreen';
      document.body.appendChild(area);
      area.select();
      var copied = false;
      try { copied = document.execCommand('copy'); } catch (e) { /* refused */ }
      area.remove();
      if (!copied) throw new Error('copy refused');
    };
    if (!navigator.clipboard || !window.isSecureContext) return Promise.resolve().then(viaCommand);
    return navigator.clipboard.writeText(text).catch(viaCommand);
  }
  var copyTimer = null;
  copyLink.addEventListener('click', function () {
    save().then(function (fragment) {
      return copyText(location.origin + location.pathname + location.search + '#' + fragment);
    }).then(function () {
      copyLink.textContent = 'Link copied';
      copyLink.setAttribute('data-copied', 'true');
      clearTimeout(copyTimer);
      copyTimer = setTimeout(function () { copyLink.textContent = 'Copy link'; copyLink.removeAttribute('data-copied'); }, 2000);
    }, function () {
      notify('The browser did not let the page copy: copy the address bar instead, it holds this diagram.');
    });
  });

  function setBusy(on) {
    busy.hidden = !on;
    stage.classList.toggle('busy', on);
    stage.setAttribute('aria-busy', String(on));
    updatePlaceholder();
  }
  function updatePlaceholder() {
    placeholder.hidden = !!shown;
    placeholder.textContent = !editor.value.trim() ? 'Type a diagram on the left to see it here.'
      : failed ? 'Fix the source to see its preview.' : 'Rendering\\u2026';
  }

  /** Downloads are offered only for the picture of exactly the current source, format and theme. */
  function syncDownloads() {
    var state = currentState();
    var current = !!shown && !timer && !pending && !failed && shown.source === state.source && shown.format === state.format && shown.theme === state.theme;
    downloadSvg.disabled = !current;
    downloadPng.disabled = !current || exporting;
  }

  // ---- the preview: debounced, older answers dropped, SVG shown as an image ----
  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(renderNow, RENDER_DEBOUNCE_MS);
    syncDownloads();
  }

  function renderNow() {
    clearTimeout(timer);
    timer = null;
    if (pending) pending.abort();
    pending = null;
    var mine = ++sequence;
    var request = currentState();
    // A picture of another format never stands for this source, not even while it renders.
    if (shown && shown.format !== request.format) showPreview(null);
    if (!request.source.trim()) {
      clearError();
      showPreview(null);
      setBusy(false);
      syncDownloads();
      return;
    }
    var controller = new AbortController();
    pending = controller;
    setBusy(true);
    syncDownloads();
    api('/api/v1/beautify', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ source: request.source, source_format: request.format, theme: request.theme }),
      signal: controller.signal
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (body) {
        if (mine !== sequence) return;
        if (!response.ok || !body || typeof body.svg !== 'string') {
          fail(response.status === 429 ? 'Slow down a little' : 'This diagram does not render', body, 'The server answered ' + response.status + '.');
          return;
        }
        clearError();
        showPreview(body, request);
        if (session && body.meta.watermarked) currentSession().then(function (found) { if (!found && session) sessionEnded(); });
      });
    }).catch(function (error) {
      if (mine !== sequence || (error && error.name === 'AbortError')) return;
      fail('The preview is unavailable', null, unreachable(error));
    }).then(function () {
      if (mine !== sequence) return;
      pending = null;
      setBusy(false);
      syncDownloads();
    });
  }

  function fail(title, body, fallback) {
    failed = true;
    showError(title, body, fallback);
    offerRepair(body);
    stage.classList.toggle('stale', !!shown);
    updatePlaceholder();
    syncDownloads();
  }

  function showPreview(result, request) {
    var previous = shown && shown.url;
    if (!result) {
      shown = null;
      if (previous) URL.revokeObjectURL(previous);
      preview.hidden = true;
      preview.removeAttribute('src');
      preview.removeAttribute('data-state');
      typeChip.hidden = sizeChip.hidden = markChip.hidden = true;
      zoomButtons.forEach(function (button) { button.disabled = true; });
      view.fit = true;
      updatePlaceholder();
      syncDownloads();
      return;
    }
    shown = {
      svg: result.svg, url: URL.createObjectURL(new Blob([result.svg], { type: 'image/svg+xml' })),
      source: request.source, format: request.format, theme: request.theme,
      type: result.diagram_type, width: result.meta.width, height: result.meta.height
    };
    preview.onload = function () { preview.setAttribute('data-state', 'ready'); };
    preview.setAttribute('data-state', 'loading');
    preview.setAttribute('data-theme', result.meta.theme);
    preview.setAttribute('data-format', request.format);
    preview.setAttribute('data-diagram-type', result.diagram_type);
    preview.setAttribute('data-svg-length', String(result.svg.length));
    preview.setAttribute('data-watermarked', String(!!result.meta.watermarked));
    preview.alt = 'Preview of the ' + result.diagram_type + ' diagram in the ' + result.meta.theme + ' theme';
    preview.src = shown.url;
    if (previous) URL.revokeObjectURL(previous);
    preview.hidden = false;
    typeChip.textContent = result.diagram_type;
    sizeChip.textContent = Math.round(result.meta.width) + ' \\u00d7 ' + Math.round(result.meta.height) + ' px';
    typeChip.hidden = sizeChip.hidden = false;
    markChip.hidden = !result.meta.watermarked;
    zoomButtons.forEach(function (button) { button.disabled = false; });
    if (view.fit) fit(); else paint();
    updatePlaceholder();
  }

  // ---- zoom and pan: the picture is laid out at its size times the scale, and moved ----
  function clampScale(scale) { return Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale)); }
  function paint() {
    if (!shown) return;
    var width = shown.width * view.scale;
    var height = shown.height * view.scale;
    var keep = 40; // this much of the picture always stays in view
    view.x = Math.min(stage.clientWidth - keep, Math.max(keep - width, view.x));
    view.y = Math.min(stage.clientHeight - keep, Math.max(keep - height, view.y));
    preview.style.width = width + 'px';
    preview.style.height = height + 'px';
    preview.style.transform = 'translate(' + view.x + 'px, ' + view.y + 'px)';
    preview.setAttribute('data-scale', view.scale.toFixed(3));
    zoomLevel.textContent = Math.round(view.scale * 100) + '%';
  }
  function center() {
    view.x = (stage.clientWidth - shown.width * view.scale) / 2;
    view.y = (stage.clientHeight - shown.height * view.scale) / 2;
    paint();
  }
  /** The whole picture in view, never enlarged past its size; kept so as the stage or the picture changes. */
  function fit() {
    if (!shown) return;
    var pad = 24;
    view.fit = true;
    view.scale = clampScale(Math.min(1, (stage.clientWidth - 2 * pad) / shown.width, (stage.clientHeight - 2 * pad) / shown.height));
    center();
  }
  function actualSize() {
    if (!shown) return;
    view.fit = false;
    view.scale = 1;
    center();
  }
  function zoomTo(scale, x, y) {
    if (!shown) return;
    var next = clampScale(scale);
    if (x === undefined) { x = stage.clientWidth / 2; y = stage.clientHeight / 2; }
    view.x = x - (x - view.x) * next / view.scale;
    view.y = y - (y - view.y) * next / view.scale;
    view.scale = next;
    view.fit = false;
    paint();
  }
  function panBy(dx, dy) {
    if (!shown) return;
    view.x += dx;
    view.y += dy;
    view.fit = false;
    paint();
  }
  $('zoom-in').addEventListener('click', function () { zoomTo(view.scale * 1.25); });
  $('zoom-out').addEventListener('click', function () { zoomTo(view.scale / 1.25); });
  $('zoom-fit').addEventListener('click', fit);
  $('zoom-actual').addEventListener('click', actualSize);
  stage.addEventListener('wheel', function (event) {
    if (!shown) return;
    var box = stage.getBoundingClientRect();
    if (event.ctrlKey || event.metaKey) {
      event.preventDefault();
      var step = event.deltaMode === 1 ? 0.05 : 0.002; // lines or pixels
      zoomTo(view.scale * Math.exp(-event.deltaY * step), event.clientX - box.left, event.clientY - box.top);
    } else if (shown.width * view.scale > stage.clientWidth || shown.height * view.scale > stage.clientHeight) {
      event.preventDefault();
      panBy(-event.deltaX, -event.deltaY);
    }
  }, { passive: false });
  var drag = null;
  stage.addEventListener('pointerdown', function (event) {
    if (!shown || event.button !== 0 || event.target.closest('.zoombar')) return;
    drag = { id: event.pointerId, x: event.clientX, y: event.clientY };
    stage.setPointerCapture(event.pointerId);
    stage.classList.add('dragging');
  });
  stage.addEventListener('pointermove', function (event) {
    if (!drag || event.pointerId !== drag.id) return;
    panBy(event.clientX - drag.x, event.clientY - drag.y);
    drag.x = event.clientX;
    drag.y = event.clientY;
  });
  function endDrag(event) {
    if (!drag || event.pointerId !== drag.id) return;
    drag = null;
    stage.classList.remove('dragging');
  }
  stage.addEventListener('pointerup', endDrag);
  stage.addEventListener('pointercancel', endDrag);
  stage.addEventListener('keydown', function (event) {
    if (event.target !== stage || !shown || event.ctrlKey || event.metaKey || event.altKey) return;
    var step = event.shiftKey ? 160 : 40;
    var actions = {
      ArrowLeft: function () { panBy(step, 0); },
      ArrowRight: function () { panBy(-step, 0); },
      ArrowUp: function () { panBy(0, step); },
      ArrowDown: function () { panBy(0, -step); },
      '+': function () { zoomTo(view.scale * 1.25); },
      '=': function () { zoomTo(view.scale * 1.25); },
      '-': function () { zoomTo(view.scale / 1.25); },
      '0': fit,
      '1': actualSize
    };
    if (!Object.prototype.hasOwnProperty.call(actions, event.key)) return;
    event.preventDefault();
    actions[event.key]();
  });
  new ResizeObserver(function () { if (view.fit) fit(); else paint(); }).observe(stage);

  // ---- downloads: the picture on show ----
  function saveFile(blob, filename) {
    var url = URL.createObjectURL(blob);
    var a = document.createElement('a');
    a.href = url;
    a.download = filename;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
  }
  function idempotencyKey() {
    return window.crypto && crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random();
  }
  downloadSvg.addEventListener('click', function () {
    if (downloadSvg.disabled || !shown) return;
    saveFile(new Blob([shown.svg], { type: 'image/svg+xml' }), 'diagram-' + (shown.type || 'diagram') + '-' + shown.theme + '.svg');
  });
  downloadPng.addEventListener('click', function () {
    if (downloadPng.disabled || !shown) return;
    var picture = shown;
    exporting = true;
    syncDownloads();
    var label = downloadPng.textContent;
    downloadPng.textContent = 'Exporting\\u2026';
    api('/api/v1/export', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Accept': 'image/png', 'Idempotency-Key': idempotencyKey() },
      body: JSON.stringify({ source: picture.source, source_format: picture.format, theme: picture.theme, format: 'png', scale: 2 })
    }).then(function (response) {
      if (!response.ok) {
        return response.json().catch(function () { return null; }).then(function (body) {
          var title = response.status === 402 || response.status === 429 ? 'PNG export unavailable' : 'The export failed';
          showError(title, body, 'The server answered ' + response.status + '.');
        });
      }
      var disposition = response.headers.get('Content-Disposition') || '';
      var match = /filename="([^"]+)"/.exec(disposition);
      return response.blob().then(function (blob) { saveFile(blob, match ? match[1] : 'diagram.png'); });
    }).catch(function (error) {
      showError('The export failed', null, unreachable(error));
    }).then(function () {
      exporting = false;
      downloadPng.textContent = label;
      syncDownloads();
    });
  });

  // ---- generation from a prompt, as the session's key ----
  aiForm.addEventListener('submit', function (event) {
    event.preventDefault();
    var prompt = aiPrompt.value.trim();
    if (!prompt || !session) return;
    var body = { prompt: prompt };
    if (aiHint.value) body.hint = aiHint.value;
    aiButton.disabled = true;
    aiButton.textContent = 'Generating\\u2026';
    aiForm.setAttribute('aria-busy', 'true');
    aiError.hidden = true;
    api('/api/v1/ai/generate', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': idempotencyKey() },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (result) {
        if (!response.ok || !result || typeof (result.source || result.mermaid) !== 'string') {
          fillError(aiError, response.status === 429 ? 'Slow down a little' : 'The generation failed', result, 'The server answered ' + response.status + '.');
          return;
        }
        useGenerated(result);
      });
    }).catch(function (error) {
      fillError(aiError, 'The generation failed', null, unreachable(error));
    }).then(function () {
      aiButton.disabled = false;
      aiButton.textContent = 'Generate';
      aiForm.removeAttribute('aria-busy');
    });
  });
  // ---- repair: a source that does not parse, fixed by the model (POST /api/v1/ai/repair) ----
  /** Signed in with ai:write and the source does not parse: a button under the error offers the repair. */
  function offerRepair(envelope) {
    var error = envelope && envelope.error;
    if (!session || !error || error.code !== 'parse_failed') return;
    if (!(Array.isArray(session.key.scopes) && session.key.scopes.indexOf('ai:write') >= 0)) return;
    var button = document.createElement('button');
    button.type = 'button';
    button.id = 'repair';
    button.className = 'primary';
    button.textContent = 'Fix with AI';
    var source = editor.value;
    var format = formatPicker.value;
    button.addEventListener('click', function () {
      button.disabled = true;
      button.textContent = 'Fixing\u2026';
      api('/api/v1/ai/repair', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Idempotency-Key': idempotencyKey() },
        body: JSON.stringify({ source: source, source_format: format, error: error.message })
      }).then(function (response) {
        return response.json().catch(function () { return null; }).then(function (result) {
          // The editor moved on while the model worked: the answer belongs to a source no longer there.
          if (editor.value !== source || formatPicker.value !== format) return;
          if (!response.ok || !result || typeof result.source !== 'string') {
            showError('The repair failed', result, 'The server answered ' + response.status + '.');
            return;
          }
          useGenerated(result);
        });
      }).catch(function (failure) {
        showError('The repair failed', null, unreachable(failure));
      });
    });
    alertBox.appendChild(button);
  }

  /** The answer's source in the editor, in its format (Mermaid unless the answer names another). */
  function useGenerated(result) {
    var format = settings.formats.indexOf(result.source_format) >= 0 ? result.source_format : 'mermaid';
    if (formatPicker.value !== format) {
      drafts[formatPicker.value] = editor.value;
      formatPicker.value = lastFormat = format;
    }
    editor.value = result.source || result.mermaid;
    editor.scrollTop = 0;
    clearError();
    var quota = result.quota;
    aiStatus.textContent = 'Model: ' + (result.model || 'unknown')
      + (quota ? ' \\u00b7 ' + quota.used + (quota.limit === null ? '' : ' of ' + quota.limit) + ' AI generations used this month' : '');
    aiStatus.hidden = false;
    save();
    renderNow();
  }

  // ---- pickers and typing ----
  formatPicker.addEventListener('change', function () {
    drafts[lastFormat] = editor.value;
    lastFormat = formatPicker.value;
    editor.value = drafts[lastFormat] !== undefined ? drafts[lastFormat] : samples[lastFormat];
    editor.scrollTop = 0;
    clearError();
    save();
    renderNow();
  });
  themePicker.addEventListener('change', function () {
    wantedTheme = themePicker.value;
    save();
    renderNow();
  });
  editor.addEventListener('input', function () {
    renderGutter(null);
    schedule();
    saveSoon();
  });
  editor.addEventListener('keydown', function (event) {
    if ((event.ctrlKey || event.metaKey) && event.key === 'Enter') { event.preventDefault(); renderNow(); }
  });

  function fillThemes(themes) {
    while (themePicker.firstChild) themePicker.removeChild(themePicker.firstChild);
    var groups = { light: document.createElement('optgroup'), dark: document.createElement('optgroup') };
    groups.light.label = 'Light';
    groups.dark.label = 'Dark';
    themes.forEach(function (theme) {
      var option = document.createElement('option');
      option.value = theme.id;
      option.textContent = theme.name;
      option.title = theme.description;
      (groups[theme.tone] || groups.light).appendChild(option);
    });
    themePicker.appendChild(groups.light);
    themePicker.appendChild(groups.dark);
    themePicker.disabled = false;
  }
  var themesLoaded = fetch('/api/v1/themes', { headers: { 'Accept': 'application/json' }, credentials: 'omit' })
    .then(function (response) { return response.json(); })
    .then(function (body) { if (body && Array.isArray(body.data)) fillThemes(body.data); })
    .catch(function () { /* the default theme still renders */ });

  // The first render waits for the session, so that a signed-in visitor's is not watermarked.
  Promise.all([initialState(), currentSession(), themesLoaded]).then(function (results) {
    session = results[1];
    showAccount();
    applyState(results[0]);
    root.setAttribute('data-ready', 'true');
    renderNow();
  });
})();
`;
