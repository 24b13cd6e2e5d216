// Loader only: the listeners are Rust (extension/src/glue/worker.rs). They are registered
// synchronously, as a service worker must, and forward once the wasm is ready.
import init, { on_tab_updated, on_tab_removed, on_connect } from './tls_worker.js';
const ready = init();
const log = (e) => console.error('TLS Probe worker', e);
chrome.tabs.onUpdated.addListener((id, change, tab) => { ready.then(() => on_tab_updated(id, change, tab)).catch(log); });
chrome.tabs.onRemoved.addListener((id) => { ready.then(() => on_tab_removed(id)).catch(log); });
chrome.runtime.onConnect.addListener((port) => { ready.then(() => on_connect(port)).catch(log); });
