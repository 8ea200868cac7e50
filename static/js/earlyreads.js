// A classic script (not a module) the experiment page runs first, from its <head>: it starts
// the trials' first read as binary columns (which a preload link cannot ask for) before any
// module loads; api.js's getColumns takes the answer over (window.hzEarlyReads: url -> fetch).
// It is a file, not inline, so the page keeps no inline script (nothing but injected markup
// would be one) and could be served under a `script-src 'self'` policy.
(() => {
  const url = document.currentScript.dataset.columns;
  const read = fetch(url, { headers: { Accept: "application/vnd.hyperzoom.columns" } });
  window.hzEarlyReads = { [url]: read.catch(() => null) };
})();
