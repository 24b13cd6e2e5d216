// Loader only: the listeners are Rust (extension/src/glue/worker.rs). They are registered
// synchronously, as a service worker must, and forward once the wasm is ready.
import init, { on_tab_updated, on_tab_removed, on_connect, on_headers_received } from './tls_worker.js';
const ready = init();
const log = (e) => console.error('TLS Probe worker', e);
chrome.tabs.onUpdated.addListener((id, change, tab) => { ready.then(() => on_tab_updated(id, change, tab)).catch(log); });
chrome.tabs.onRemoved.addListener((id) => { ready.then(() => on_tab_removed(id)).catch(log); });
chrome.runtime.onConnect.addListener((port) => { ready.then(() => on_connect(port)).catch(log); });
// Firefox, once the person granted it from the popup: the browser's own view of each page's
// TLS (getSecurityInfo answers only in a blocking listener, hence the returned promise).
const seen = (details) => ready.then(() => on_headers_received(details)).catch((e) => { log(e); return {}; });
const watch = () => {
  const request = globalThis.browser?.webRequest;
  if (request?.getSecurityInfo && !request.onHeadersReceived.hasListener(seen)) {
    request.onHeadersReceived.addListener(seen, { urls: ['https://*/*'], types: ['main_frame'] }, ['blocking']);
  }
};
watch();
chrome.permissions.onAdded.addListener(watch);
