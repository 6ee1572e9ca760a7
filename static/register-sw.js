// Registers the offline worker (/sw.js, written into the build by
// scripts/stamp-service-worker.mjs). The app works without it, as on
// file: or where service workers are disallowed: then it only warns.
'use strict';
if ('serviceWorker' in navigator) {
  const hadWorker = navigator.serviceWorker.controller !== null;
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    // A newer build's worker took over (see static/sw.js): this page keeps
    // the code it loaded; a reload runs the new one.
    if (hadWorker) console.info('es-sandbox: a newer version is installed; reload the page to use it.');
  });
  // After the page has loaded, so precaching does not compete with it.
  window.addEventListener('load', () => {
    navigator.serviceWorker.register('sw.js').catch((error) => {
      console.warn(`es-sandbox works, but not offline: its service worker was not registered (${error})`);
    });
  });
}
