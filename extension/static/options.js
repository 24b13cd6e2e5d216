// Loader only: the options page is Rust (extension/src/glue/options.rs).
import init, { start_options } from './tls_options.js';
init().then(start_options).catch((e) => console.error('TLS Probe options failed', e));
