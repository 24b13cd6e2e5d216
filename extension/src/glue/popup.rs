//! The popup: reads the active tab, asks the probe, renders each state, keeps the badge.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::Reflect;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;
use web_sys::{Element, Event as DomEvent};

use super::browser::{self, object};
use super::dom;
use super::fetch::{self, Deadline};
use crate::page::Page;
use crate::popup::{Event, Popup};
use crate::probe::{self, Endpoint, ProbeFailure};
use crate::render;
use crate::settings::Settings;

/// The popup's live state.
struct Controller {
    root: Element,
    settings: Settings,
    tab_id: Option<i32>,
    state: RefCell<Popup>,
    /// Bumped by every (re)check; events of older runs are dropped.
    run: Cell<u32>,
    deadline: RefCell<Option<Rc<Deadline>>>,
}

impl std::fmt::Debug for Controller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Controller")
            .field("tab_id", &self.tab_id)
            .finish()
    }
}

impl Controller {
    fn render(&self) {
        let tree = render::popup(&self.state.borrow(), &self.settings.probe_url);
        if let Err(e) = dom::render(&self.root, &tree) {
            super::log_error("render", &e);
        }
    }

    fn update_badge(self: &Rc<Self>) {
        let Some(tab_id) = self.tab_id else { return };
        let state = self.state.borrow();
        let badge = state.badge(&self.settings.probe_url);
        browser::set_badge(tab_id, badge.as_ref());
        // Kept for the service worker, which puts the badge back when the tab reloads or
        // moves within the same site, and clears it when the tab leaves the site.
        let key = browser::tab_key(tab_id);
        let value = match (&badge, state.target()) {
            (Some(b), Some(site)) => object(&[
                ("site", site.label().into()),
                ("text", b.text.as_str().into()),
                ("color", b.colour.into()),
                ("title", b.title.as_str().into()),
            ]),
            _ => return,
        };
        let _ = browser::call_sync(&["storage", "session", "set"], &[object(&[(&key, value)])]);
    }

    /// Applies an event of run `run`, unless a newer run started.
    fn apply(self: &Rc<Self>, run: u32, event: Event, raw: Option<String>) {
        if run != self.run.get() {
            return;
        }
        let final_report = matches!(event, Event::Final(_));
        let paint = match event {
            Event::Quick(_) => Some("tls-probe:quick"),
            Event::Final(_) => Some("tls-probe:report"),
            _ => None,
        };
        self.state.borrow_mut().apply(event);
        if final_report
            && let (Some(raw), Some(site)) = (
                raw,
                self.state.borrow().target().map(crate::page::Target::label),
            )
        {
            let key = browser::report_key(&site);
            spawn_local(async move {
                let _ = browser::call(
                    &["storage", "session", "set"],
                    &[object(&[(&key, raw.into())])],
                )
                .await;
            });
            self.remember(run, site);
        }
        self.render();
        if let Some(name) = paint {
            super::measure_paint(name);
        }
        self.update_badge();
    }

    /// Records the final report in the site's history and shows what changed since the last
    /// visit (the badge marks a drop).
    fn remember(self: &Rc<Self>, run: u32, site: String) {
        let this = self.clone();
        spawn_local(async move {
            let mut history = browser::load_history().await;
            let now_ms = js_sys::Date::now() as u64;
            let changes = match this.state.borrow().report() {
                Some(report) => history.record(&site, report, now_ms),
                None => return,
            };
            if let Err(e) = browser::save_history(&history).await {
                super::log_error("history", &e);
            }
            if run != this.run.get() {
                return;
            }
            this.state.borrow_mut().set_changes(changes, now_ms);
            this.render();
            this.update_badge();
        });
    }

    /// The origin pattern of the tab's site (`https://host/*`; match patterns carry no port).
    fn origin_pattern(&self) -> Option<String> {
        let target = self.state.borrow().target().cloned()?;
        let host = if target.host.contains(':') {
            format!("[{}]", target.host)
        } else {
            target.host
        };
        Some(format!("https://{host}/*"))
    }

    /// Looks up what this browser saw of the page: Firefox only, once granted for the site.
    fn load_browser_side(self: &Rc<Self>) {
        use crate::browser_view::{BrowserSaw, BrowserSide};
        let this = self.clone();
        spawn_local(async move {
            let side = if browser::url_sight() == crate::badge::UrlSight::WhileOnSite {
                BrowserSide::NeedsFirefox
            } else {
                let Some(pattern) = this.origin_pattern() else {
                    return;
                };
                let granted = browser::call(
                    &["permissions", "contains"],
                    &[browser::security_info_permissions(&pattern)],
                )
                .await
                .is_ok_and(|v| v.is_truthy());
                let site = this.state.borrow().target().map(crate::page::Target::label);
                let saw = match (this.tab_id, granted) {
                    (Some(id), true) => {
                        let key = browser::seen_key(id);
                        browser::call(&["storage", "session", "get"], &[JsValue::from_str(&key)])
                            .await
                            .ok()
                            .and_then(|all| Reflect::get(&all, &JsValue::from_str(&key)).ok())
                            .filter(JsValue::is_object)
                            .and_then(|v| serde_wasm_bindgen::from_value::<BrowserSaw>(v).ok())
                            .filter(|saw| Some(&saw.site) == site.as_ref())
                    }
                    _ => None,
                };
                match (granted, saw) {
                    (false, _) => BrowserSide::NeedsPermission,
                    (true, None) => BrowserSide::NeedsReload,
                    (true, Some(saw)) => BrowserSide::Saw(saw),
                }
            };
            this.state.borrow_mut().browser_side = side;
            this.render();
        });
    }

    /// Starts a scan (`refresh` bypasses the probe's cache).
    fn probe(self: &Rc<Self>, refresh: bool) {
        let Some(target) = self.state.borrow().target().cloned() else {
            return;
        };
        let run = self.run.get() + 1;
        self.run.set(run);
        if let Some(old) = self.deadline.borrow_mut().take() {
            old.cancel();
        }
        let deadline = match Deadline::after(probe::CLIENT_TIMEOUT_MS) {
            Ok(d) => d,
            Err(e) => {
                super::log_error("abort controller", &e);
                return;
            }
        };
        let deadline = Rc::new(deadline);
        *self.deadline.borrow_mut() = Some(deadline.clone());
        self.render();
        self.update_badge();
        let this = self.clone();
        spawn_local(async move {
            let result = this.run_scan(run, &target, refresh, &deadline).await;
            if let Err(failure) = result {
                this.apply(run, Event::Failed(failure), None);
            }
        });
    }

    async fn run_scan(
        self: &Rc<Self>,
        run: u32,
        target: &crate::page::Target,
        refresh: bool,
        deadline: &Deadline,
    ) -> Result<(), ProbeFailure> {
        let base = &self.settings.probe_url;
        let token = self.settings.token.as_deref();
        let stream_url = probe::scan_url(base, Endpoint::Stream, target, refresh);
        let response = fetch::get(&stream_url, token, "text/event-stream", deadline).await?;
        if response.status() == 404 {
            return self.run_plain(run, target, refresh, deadline).await;
        }
        if !response.ok() {
            return Err(fetch::failure_of(&response, deadline).await);
        }
        fetch::read_stream(&response, deadline, |event, raw| {
            self.apply(run, event, raw)
        })
        .await
    }

    /// The probe has no stream: ask the plain endpoint for the full scan. (The popup shows
    /// its progress line meanwhile; the quick verdict first is the stream's job.)
    async fn run_plain(
        self: &Rc<Self>,
        run: u32,
        target: &crate::page::Target,
        refresh: bool,
        deadline: &Deadline,
    ) -> Result<(), ProbeFailure> {
        let url = probe::scan_url(&self.settings.probe_url, Endpoint::Full, target, refresh);
        let response = fetch::get(
            &url,
            self.settings.token.as_deref(),
            "application/json",
            deadline,
        )
        .await?;
        let (report, raw) = fetch::report(&response, deadline).await?;
        self.apply(run, Event::Final(report), Some(raw));
        Ok(())
    }

    fn on_click(self: &Rc<Self>, event: &DomEvent) {
        let Some(target) = event
            .target()
            .and_then(|t| t.dyn_into::<Element>().ok())
            .and_then(|t| t.closest("[data-action]").ok().flatten())
        else {
            return;
        };
        match target.get_attribute("data-action").as_deref() {
            Some("recheck") if self.state.borrow_mut().recheck() => self.probe(true),
            Some("grant") => {
                // Synchronously, inside the click: permissions.request needs the gesture.
                let Some(pattern) = self.origin_pattern() else {
                    return;
                };
                let promise = browser::call_sync(
                    &["permissions", "request"],
                    &[browser::security_info_permissions(&pattern)],
                );
                let this = self.clone();
                spawn_local(async move {
                    if let Ok(p) = promise
                        && let Ok(p) = p.dyn_into::<js_sys::Promise>()
                    {
                        let _ = wasm_bindgen_futures::JsFuture::from(p).await;
                    }
                    this.load_browser_side();
                });
            }
            Some("options") => {
                spawn_local(async {
                    if let Err(e) = browser::call(&["runtime", "openOptionsPage"], &[]).await {
                        super::log_error("options", &e);
                    }
                });
            }
            Some("copy") => {
                let value = target.get_attribute("data-copy").unwrap_or_default();
                if let Some(window) = web_sys::window() {
                    let _ = window.navigator().clipboard().write_text(&value);
                    target.set_text_content(Some("Copied"));
                }
            }
            _ => {}
        }
    }
}

/// Entry point of `popup.html`.
#[wasm_bindgen]
pub async fn start_popup() -> Result<(), JsValue> {
    let root = dom::document()?
        .get_element_by_id("app")
        .ok_or_else(|| JsValue::from_str("popup.html has no #app"))?;
    let settings = browser::load_settings().await;
    let query = object(&[("active", true.into()), ("currentWindow", true.into())]);
    let tabs = browser::call(&["tabs", "query"], &[query]).await?;
    let tab = Reflect::get(&tabs, &0.into())?;
    let url = browser::string_prop(&tab, "url");
    let tab_id = Reflect::get(&tab, &JsValue::from_str("id"))
        .ok()
        .and_then(|v| v.as_f64())
        .and_then(|v| i32::try_from(v as i64).ok());
    let page = Page::classify(url.as_deref());
    let probing = page.target().is_some();
    let controller = Rc::new(Controller {
        root: root.clone(),
        settings,
        tab_id,
        state: RefCell::new(Popup::open(page)),
        run: Cell::new(0),
        deadline: RefCell::new(None),
    });
    let clicks = controller.clone();
    let on_click = Closure::<dyn Fn(DomEvent)>::new(move |e: DomEvent| clicks.on_click(&e));
    root.add_event_listener_with_callback("click", on_click.as_ref().unchecked_ref())?;
    // The popup lives as long as its document: the listener may live as long.
    on_click.forget();
    if probing {
        // The service worker clears a `…` badge left behind when the popup closes early.
        if let Some(id) = tab_id {
            let _ = browser::call_sync(
                &["runtime", "connect"],
                &[object(&[("name", format!("popup:{id}").into())])],
            );
        }
        controller.load_browser_side();
        controller.probe(false);
    } else {
        controller.render();
        controller.update_badge();
    }
    Ok(())
}
