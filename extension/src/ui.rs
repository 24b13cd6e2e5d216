//! A tiny description of DOM trees, built by plain Rust and turned into real elements by the
//! wasm glue (`glue::dom::build`). Text always goes in as text nodes, never as HTML, so what
//! a probe or a certificate says can never become markup.
//!
//! Buttons and links name what they do with a `data-action` attribute; the glue handles all
//! clicks on the popup's root in one place.

/// An element with attributes and children.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct El {
    pub tag: &'static str,
    pub attrs: Vec<(&'static str, String)>,
    pub children: Vec<Node>,
}

/// A child: an element or text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    El(El),
    Text(String),
}

/// A new element.
pub fn el(tag: &'static str) -> El {
    El {
        tag,
        attrs: Vec::new(),
        children: Vec::new(),
    }
}

impl El {
    // The builders are generic only in a one-line shim over an out-of-line body: inlined
    // everywhere, each `push` would cost the wasm a few hundred bytes per call site.

    /// Adds an attribute.
    #[must_use]
    pub fn attr(self, name: &'static str, value: impl Into<String>) -> Self {
        self.push_attr(name, value.into())
    }

    #[inline(never)]
    fn push_attr(mut self, name: &'static str, value: String) -> Self {
        self.attrs.push((name, value));
        self
    }

    /// Adds a `class`.
    #[must_use]
    pub fn class(self, class: impl Into<String>) -> Self {
        self.push_attr("class", class.into())
    }

    /// Adds a text child.
    #[must_use]
    pub fn text(self, text: impl Into<String>) -> Self {
        self.push_text(text.into())
    }

    #[inline(never)]
    fn push_text(mut self, text: String) -> Self {
        self.children.push(Node::Text(text));
        self
    }

    /// Adds an element child.
    #[must_use]
    #[inline(never)]
    pub fn child(mut self, child: Self) -> Self {
        self.children.push(Node::El(child));
        self
    }

    /// Adds an element child when there is one.
    #[must_use]
    pub fn maybe(self, child: Option<Self>) -> Self {
        match child {
            Some(c) => self.child(c),
            None => self,
        }
    }

    /// Adds element children.
    #[must_use]
    pub fn children(mut self, children: impl IntoIterator<Item = Self>) -> Self {
        self.children.extend(children.into_iter().map(Node::El));
        self
    }

    /// The value of an attribute.
    pub fn get_attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The element has this class among its classes.
    pub fn has_class(&self, class: &str) -> bool {
        self.get_attr("class")
            .is_some_and(|c| c.split_whitespace().any(|c| c == class))
    }

    /// All the text below this element, as `textContent` would give it.
    pub fn text_content(&self) -> String {
        let mut out = String::new();
        self.collect_text(&mut out);
        out
    }

    fn collect_text(&self, out: &mut String) {
        for child in &self.children {
            match child {
                Node::Text(t) => out.push_str(t),
                Node::El(e) => e.collect_text(out),
            }
        }
    }

    /// Every element at or below this one, depth first.
    pub fn descendants(&self) -> Vec<&Self> {
        let mut out = vec![self];
        for child in &self.children {
            if let Node::El(e) = child {
                out.extend(e.descendants());
            }
        }
        out
    }

    /// The first element at or below this one with this class.
    pub fn find_class(&self, class: &str) -> Option<&Self> {
        self.descendants().into_iter().find(|e| e.has_class(class))
    }

    /// Every element at or below this one with this class.
    pub fn find_all_class(&self, class: &str) -> Vec<&Self> {
        self.descendants()
            .into_iter()
            .filter(|e| e.has_class(class))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_and_queries_trees() {
        let tree = el("div")
            .class("a b")
            .child(el("p").class("c").text("hello "))
            .maybe(None)
            .maybe(Some(el("span").text("<b>world</b>")));
        assert_eq!(tree.text_content(), "hello <b>world</b>");
        assert!(tree.has_class("b"));
        assert_eq!(
            tree.find_class("c").map(El::text_content).as_deref(),
            Some("hello ")
        );
        assert_eq!(tree.descendants().len(), 3);
        assert_eq!(tree.find_all_class("zzz").len(), 0);
    }
}
