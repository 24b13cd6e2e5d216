//! Finding ids are part of the public API: the README must document every one.

#[test]
fn the_readme_documents_every_finding_id() {
    let readme = include_str!("../../README.md");
    let missing: Vec<&str> = shared::FindingId::KNOWN
        .iter()
        .map(shared::FindingId::as_str)
        .filter(|id| !readme.contains(&format!("`{id}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "README.md does not document these finding ids: {missing:?}"
    );
}
