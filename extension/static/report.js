// Loader only: the report page is Rust (extension/src/glue/report_page.rs).
import init, { start_report_page } from './tls_report.js';
init().then(start_report_page).catch((e) => console.error('TLS Probe report page failed', e));
