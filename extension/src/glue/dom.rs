//! Turns a [`ui::El`] tree into DOM elements, and re-renders without losing what the person
//! was doing: open `<details>` stay open and the focused control keeps the focus.

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Element, HtmlElement};

use crate::ui::{El, Node};

/// The page's document.
pub fn document() -> Result<Document, JsValue> {
    web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| JsValue::from_str("no document"))
}

/// Builds the element; `<details>` whose `data-key` is in `open` come out open.
pub fn build(doc: &Document, tree: &El, open: &[String]) -> Result<Element, JsValue> {
    let element = doc.create_element(tree.tag)?;
    for (name, value) in &tree.attrs {
        element.set_attribute(name, value)?;
    }
    if tree.tag == "details"
        && tree
            .get_attr("data-key")
            .is_some_and(|k| open.iter().any(|o| o == k))
    {
        element.set_attribute("open", "")?;
    }
    for child in &tree.children {
        let node: web_sys::Node = match child {
            Node::El(e) => build(doc, e, open)?.into(),
            Node::Text(t) => doc.create_text_node(t).into(),
        };
        element.append_child(&node)?;
    }
    Ok(element)
}

/// A selector naming the focused control, to find its twin after a re-render.
fn focus_selector(doc: &Document, root: &Element) -> Option<String> {
    let active = doc.active_element()?;
    if !root.contains(Some(&active)) {
        return None;
    }
    let quote = |v: String| v.replace('\\', "\\\\").replace('"', "\\\"");
    if let Some(action) = active.get_attribute("data-action") {
        let copy = active
            .get_attribute("data-copy")
            .map(|c| format!("[data-copy=\"{}\"]", quote(c)))
            .unwrap_or_default();
        return Some(format!("[data-action=\"{}\"]{copy}", quote(action)));
    }
    let details = active.closest("details[data-key]").ok()??;
    let key = details.get_attribute("data-key")?;
    Some(format!("details[data-key=\"{}\"] > summary", quote(key)))
}

/// Replaces `root`'s content with `tree`.
pub fn render(root: &Element, tree: &El) -> Result<(), JsValue> {
    let doc = document()?;
    let mut open = Vec::new();
    let nodes = root.query_selector_all("details[open][data-key]")?;
    for i in 0..nodes.length() {
        if let Some(key) = nodes
            .item(i)
            .and_then(|n| n.dyn_into::<Element>().ok())
            .and_then(|e| e.get_attribute("data-key"))
        {
            open.push(key);
        }
    }
    let focus = focus_selector(&doc, root);
    let built = build(&doc, tree, &open)?;
    root.set_text_content(None);
    root.append_child(&built)?;
    if let Some(selector) = focus
        && let Some(target) = root.query_selector(&selector)?
        && let Ok(target) = target.dyn_into::<HtmlElement>()
    {
        target.focus()?;
    }
    Ok(())
}
