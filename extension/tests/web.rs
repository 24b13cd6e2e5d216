//! The wasm glue in a real browser (headless Chromium through wasm-bindgen-test-runner and
//! chromedriver): DOM building and re-rendering, and reading the probe's answers from real
//! `Response` objects, the stream included.
#![cfg(target_arch = "wasm32")]

use extension::glue::{dom, fetch};
use extension::popup::Event;
use extension::probe::ProbeFailure;
use extension::render;
use extension::ui::el;
use shared::{ErrorCode, Grade, ScanMode};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{Element, HtmlElement, Response, ResponseInit};

wasm_bindgen_test_configure!(run_in_browser);

const SELF_SIGNED: &str = include_str!("../../shared/fixtures/self-signed.json");
const QUICK: &str = include_str!("../../shared/fixtures/quick-provisional.json");

fn root() -> Element {
    let doc = dom::document().expect("a document");
    let root = doc.create_element("div").expect("a div");
    doc.body()
        .expect("a body")
        .append_child(&root)
        .expect("appended");
    root
}

fn response(body: &str, status: u16) -> Response {
    let init = ResponseInit::new();
    init.set_status(status);
    Response::new_with_opt_str_and_init(Some(body), &init).expect("a response")
}

#[wasm_bindgen_test]
fn builds_elements_with_text_never_markup() {
    let root = root();
    let tree = el("p")
        .class("x")
        .attr("data-action", "copy")
        .text("<b>not bold</b>")
        .child(el("span").text("!"));
    dom::render(&root, &tree).expect("rendered");
    let p = root.first_element_child().expect("a p");
    assert_eq!(p.tag_name(), "P");
    assert_eq!(p.class_name(), "x");
    assert_eq!(p.get_attribute("data-action").as_deref(), Some("copy"));
    assert_eq!(p.text_content().as_deref(), Some("<b>not bold</b>!"));
    assert!(p.query_selector("b").expect("a query").is_none());
}

#[wasm_bindgen_test]
fn rerendering_keeps_open_details_and_focus() {
    let root = root();
    let tree = || {
        el("div")
            .child(
                el("details")
                    .attr("data-key", "chain")
                    .child(el("summary").text("Chain")),
            )
            .child(el("button").attr("data-action", "recheck").text("Re-check"))
    };
    dom::render(&root, &tree()).expect("rendered");
    let details = root
        .query_selector("details")
        .ok()
        .flatten()
        .expect("details");
    details.set_attribute("open", "").expect("opened");
    let button: HtmlElement = root
        .query_selector("button")
        .ok()
        .flatten()
        .expect("a button")
        .unchecked_into();
    button.focus().expect("focused");
    dom::render(&root, &tree()).expect("re-rendered");
    let details = root
        .query_selector("details")
        .ok()
        .flatten()
        .expect("details");
    assert!(details.has_attribute("open"), "still open");
    let doc = dom::document().expect("a document");
    let active = doc.active_element().expect("something has the focus");
    assert_eq!(
        active.get_attribute("data-action").as_deref(),
        Some("recheck")
    );
    assert!(!active.is_same_node(Some(button.as_ref())), "a new element");
}

#[wasm_bindgen_test]
fn renders_a_whole_report_into_the_page() {
    let root = root();
    let mut popup =
        extension::popup::Popup::open(extension::page::Page::classify(Some("https://bad.test/")));
    let report = fetch::report_from(SELF_SIGNED, 200).expect("a report");
    popup.apply(Event::Final(report));
    dom::render(&root, &render::popup(&popup, "http://127.0.0.1:7443")).expect("rendered");
    let text = |sel: &str| {
        root.query_selector(sel)
            .ok()
            .flatten()
            .and_then(|e| e.text_content())
            .unwrap_or_default()
    };
    assert_eq!(text(".grade"), "T");
    assert_eq!(text(".verdict"), "Self-signed certificate");
    assert_eq!(
        root.query_selector_all("button[data-action=copy]")
            .expect("a query")
            .length(),
        2
    );
}

#[wasm_bindgen_test]
async fn reads_a_report_answer() {
    let deadline = fetch::Deadline::after(5_000).expect("a deadline");
    let (report, raw) = fetch::report(&response(SELF_SIGNED, 200), &deadline)
        .await
        .expect("a report");
    assert_eq!(report.grade, Grade::T);
    assert_eq!(raw, SELF_SIGNED);
}

#[wasm_bindgen_test]
async fn reads_an_api_error_with_retry_after() {
    let deadline = fetch::Deadline::after(5_000).expect("a deadline");
    let answer = response(r#"{"error":"rate_limited","message":"Slow down."}"#, 429);
    answer.headers().set("Retry-After", "7").expect("a header");
    let failure = fetch::report(&answer, &deadline)
        .await
        .expect_err("an error answer");
    assert!(matches!(
        failure,
        ProbeFailure::Api { status: 429, retry_after: Some(7), ref error } if error.error == ErrorCode::RateLimited
    ));
    let odd = fetch::report(&response("<html>proxy</html>", 502), &deadline)
        .await
        .expect_err("not the API");
    assert!(matches!(odd, ProbeFailure::Unexpected { status: 502, .. }));
}

#[wasm_bindgen_test]
async fn reads_the_event_stream_in_order() {
    // One line each: the fixtures are pretty-printed, and SSE data ends at a newline.
    let line = |json: &str| json.replace('\n', "");
    let quick_event = format!(r#"{{"type":"quick","report":{}}}"#, line(QUICK));
    let final_event = format!(r#"{{"type":"report","report":{}}}"#, line(SELF_SIGNED));
    let body = format!(
        ": hello\n\nevent: quick\ndata: {quick_event}\n\nevent: progress\ndata: \
         {{\"type\":\"progress\",\"step\":\"protocols\",\"done\":1,\"total\":4}}\n\n\
         event: report\ndata: {final_event}\n\nevent: progress\ndata: {{}}\n\n"
    );
    let deadline = fetch::Deadline::after(5_000).expect("a deadline");
    let mut seen = Vec::new();
    fetch::read_stream(&response(&body, 200), &deadline, |event, raw| {
        seen.push((event, raw.is_some()));
    })
    .await
    .expect("a complete stream");
    assert_eq!(seen.len(), 3, "reading stops at the final report");
    assert!(matches!(&seen[0], (Event::Quick(r), false) if r.scan_mode == ScanMode::Quick));
    assert!(matches!(&seen[1], (Event::Progress(p), false) if p.done == 1 && p.total == 4));
    assert!(matches!(&seen[2], (Event::Final(r), true) if r.grade == Grade::T));
}

#[wasm_bindgen_test]
async fn a_stream_that_stops_early_is_a_failure() {
    let deadline = fetch::Deadline::after(5_000).expect("a deadline");
    let result = fetch::read_stream(&response(": nothing\n\n", 200), &deadline, |_, _| {}).await;
    assert_eq!(result, Err(ProbeFailure::StreamEnded));
    let error =
        "event: error\ndata: {\"type\":\"error\",\"error\":\"timeout\",\"message\":\"slow\"}\n\n";
    let mut failed = None;
    fetch::read_stream(&response(error, 200), &deadline, |event, _| {
        if let Event::Failed(f) = event {
            failed = f.code();
        }
    })
    .await
    .expect("an error event ends the stream");
    assert_eq!(failed, Some(ErrorCode::Timeout));
}
