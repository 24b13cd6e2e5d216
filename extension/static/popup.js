// Loader only: the popup is Rust (extension/src/glue/popup.rs).
import init, { start_popup } from './tls_popup.js';
init().then(start_popup).catch((e) => console.error('TLS Probe popup failed', e));
