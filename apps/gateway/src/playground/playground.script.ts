/**
 * The playground's script: plain browser JavaScript, inlined in the page and allowed by its hash in
 * the CSP. Nothing from an API response ever becomes markup: the SVG is shown through an <img> of a
 * blob: URL, and error text goes in through textContent (the page also requires Trusted Types, so an
 * innerHTML sink would be refused outright).
 */
export const PLAYGROUND_SCRIPT = `
(function () {
  'use strict';
  var DEBOUNCE_MS = 400;
  var $ = function (id) { return document.getElementById(id); };
  var root = document.documentElement;
  var editor = $('source');
  var gutter = $('gutter');
  var formatPicker = $('format');
  var themePicker = $('theme');
  var schemeToggle = $('scheme');
  var stage = $('stage');
  var preview = $('preview');
  var placeholder = $('placeholder');
  var busy = $('busy');
  var typeChip = $('diagram-type');
  var sizeChip = $('diagram-size');
  var markChip = $('watermark');
  var alertBox = $('error');
  var downloadSvg = $('download-svg');
  var downloadPng = $('download-png');
  var samples = JSON.parse($('samples').textContent);

  var drafts = {};
  var current = { svg: null, url: null, type: null, theme: null };
  var pending = null;
  var timer = null;
  var sequence = 0;

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

  // ---- errors: the API's envelope, shown as text ----
  function clearError() {
    stage.classList.remove('stale');
    alertBox.hidden = true;
    while (alertBox.firstChild) alertBox.removeChild(alertBox.firstChild);
    renderGutter(null);
  }
  function lineOf(message) {
    var match = /line (\\d+)/i.exec(message || '');
    return match ? Number(match[1]) : null;
  }
  function showError(title, envelope, fallback) {
    var error = (envelope && envelope.error) || {};
    var message = error.message || fallback || 'Something went wrong.';
    var line = lineOf(message);
    while (alertBox.firstChild) alertBox.removeChild(alertBox.firstChild);
    var head = document.createElement('strong');
    head.textContent = title;
    alertBox.appendChild(head);
    if (line) {
      var where = document.createElement('span');
      where.className = 'where';
      where.id = 'error-line';
      where.textContent = 'Line ' + line;
      alertBox.appendChild(where);
    }
    var text = document.createElement('pre');
    text.id = 'error-message';
    text.textContent = message;
    alertBox.appendChild(text);
    var hints = error.hints || {};
    var links = [['sign_up_url', 'Get an API key'], ['docs_url', 'Read the docs']];
    var box = null;
    links.forEach(function (pair) {
      var url = hints[pair[0]];
      if (typeof url !== 'string' || !/^(https?:\\/\\/|\\/)/.test(url)) return;
      if (!box) { box = document.createElement('div'); box.className = 'hints'; alertBox.appendChild(box); }
      var a = document.createElement('a');
      a.href = url;
      a.textContent = pair[1];
      a.rel = 'noopener noreferrer';
      a.target = '_blank';
      box.appendChild(a);
    });
    if (error.code) alertBox.setAttribute('data-code', error.code); else alertBox.removeAttribute('data-code');
    alertBox.hidden = false;
    renderGutter(line);
  }

  function setBusy(on) {
    busy.hidden = !on;
    stage.classList.toggle('busy', on);
    stage.setAttribute('aria-busy', String(on));
  }

  // ---- the preview: debounced, stale requests aborted, SVG shown as an image ----
  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(render, DEBOUNCE_MS);
  }

  function render() {
    var source = editor.value;
    var format = formatPicker.value;
    var theme = themePicker.value || 'modern';
    if (pending) pending.abort();
    if (!source.trim()) {
      pending = null;
      setBusy(false);
      showPreview(null);
      clearError();
      return;
    }
    var controller = new AbortController();
    var mine = ++sequence;
    pending = controller;
    setBusy(true);
    fetch('/api/v1/beautify', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Accept': 'application/json' },
      body: JSON.stringify({ source: source, source_format: format, theme: theme }),
      signal: controller.signal,
      credentials: 'omit'
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (body) {
        if (mine !== sequence) return;
        if (!response.ok || !body || typeof body.svg !== 'string') {
          showError(response.status === 429 ? 'Slow down a little' : 'This diagram does not render', body, 'The server answered ' + response.status + '.');
          stage.classList.add('stale');
          return;
        }
        clearError();
        showPreview(body);
      });
    }).catch(function (error) {
      if (error && error.name === 'AbortError') return;
      if (mine !== sequence) return;
      showError('The preview is unavailable', null, 'Could not reach the API: ' + (error && error.message ? error.message : 'network error') + '.');
    }).then(function () {
      if (mine === sequence) { setBusy(false); pending = null; }
    });
  }

  function showPreview(result) {
    if (!result) {
      if (current.url) URL.revokeObjectURL(current.url);
      current = { svg: null, url: null, type: null, theme: null };
      preview.hidden = true;
      preview.removeAttribute('src');
      placeholder.hidden = false;
      typeChip.hidden = sizeChip.hidden = markChip.hidden = true;
      downloadSvg.disabled = downloadPng.disabled = true;
      return;
    }
    var previous = current.url;
    var url = URL.createObjectURL(new Blob([result.svg], { type: 'image/svg+xml' }));
    current = { svg: result.svg, url: url, type: result.diagram_type, theme: result.meta.theme };
    preview.onload = function () {
      if (previous) URL.revokeObjectURL(previous);
      preview.setAttribute('data-state', 'ready');
    };
    preview.setAttribute('data-state', 'loading');
    preview.setAttribute('data-theme', result.meta.theme);
    preview.setAttribute('data-diagram-type', result.diagram_type);
    preview.setAttribute('data-svg-length', String(result.svg.length));
    preview.alt = 'Preview of the ' + result.diagram_type + ' diagram in the ' + result.meta.theme + ' theme';
    preview.src = url;
    preview.hidden = false;
    placeholder.hidden = true;
    typeChip.textContent = result.diagram_type;
    sizeChip.textContent = Math.round(result.meta.width) + ' \\u00d7 ' + Math.round(result.meta.height) + ' px';
    typeChip.hidden = sizeChip.hidden = false;
    markChip.hidden = !result.meta.watermarked;
    downloadSvg.disabled = downloadPng.disabled = false;
  }

  // ---- downloads ----
  function save(blob, filename) {
    var url = URL.createObjectURL(blob);
    var a = document.createElement('a');
    a.href = url;
    a.download = filename;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
  }
  downloadSvg.addEventListener('click', function () {
    if (!current.svg) return;
    save(new Blob([current.svg], { type: 'image/svg+xml' }), 'diagram-' + (current.type || 'diagram') + '-' + current.theme + '.svg');
  });
  downloadPng.addEventListener('click', function () {
    var source = editor.value;
    if (!source.trim()) return;
    downloadPng.disabled = true;
    var label = downloadPng.textContent;
    downloadPng.textContent = 'Exporting\\u2026';
    var key = (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + Math.random();
    fetch('/api/v1/export', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Accept': 'image/png', 'Idempotency-Key': key },
      body: JSON.stringify({ source: source, source_format: formatPicker.value, theme: themePicker.value || 'modern', format: 'png', scale: 2 }),
      credentials: 'omit'
    }).then(function (response) {
      if (!response.ok) {
        return response.json().catch(function () { return null; }).then(function (body) {
          var title = response.status === 402 || response.status === 429 ? 'PNG export unavailable' : 'The export failed';
          showError(title, body, 'The server answered ' + response.status + '.');
        });
      }
      var disposition = response.headers.get('Content-Disposition') || '';
      var match = /filename="([^"]+)"/.exec(disposition);
      return response.blob().then(function (blob) { save(blob, match ? match[1] : 'diagram.png'); });
    }).catch(function (error) {
      showError('The export failed', null, 'Could not reach the API: ' + (error && error.message ? error.message : 'network error') + '.');
    }).then(function () {
      downloadPng.textContent = label;
      downloadPng.disabled = !current.svg;
    });
  });

  // ---- pickers ----
  function loadFormat(format) {
    editor.value = drafts[format] !== undefined ? drafts[format] : samples[format];
    editor.scrollTop = 0;
    clearError();
    render();
  }
  var lastFormat = formatPicker.value;
  formatPicker.addEventListener('change', function () {
    drafts[lastFormat] = editor.value;
    lastFormat = formatPicker.value;
    loadFormat(lastFormat);
  });
  themePicker.addEventListener('change', function () { clearTimeout(timer); render(); });
  editor.addEventListener('input', function () { renderGutter(null); schedule(); });
  editor.addEventListener('keydown', function (event) {
    if ((event.ctrlKey || event.metaKey) && event.key === 'Enter') { event.preventDefault(); clearTimeout(timer); render(); }
  });

  function fillThemes(themes) {
    var preferred = themePicker.value;
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
    themePicker.value = themes.some(function (t) { return t.id === preferred; }) ? preferred : 'modern';
    themePicker.disabled = false;
  }

  editor.value = samples[formatPicker.value];
  renderGutter(null);
  fetch('/api/v1/themes', { headers: { 'Accept': 'application/json' }, credentials: 'omit' })
    .then(function (response) { return response.json(); })
    .then(function (body) { if (body && Array.isArray(body.data)) fillThemes(body.data); })
    .catch(function () { /* the default theme still renders */ })
    .then(function () { root.setAttribute('data-ready', 'true'); render(); });
})();
`;
