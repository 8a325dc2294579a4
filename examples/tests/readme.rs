//! The README's "Wiring it together" block is the code of `examples/outside`, the
//! application outside the workspace that CI builds and runs (`.ci/run`): what the README
//! shows compiles and serves.

use std::path::Path;

fn read(relative: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    std::fs::read_to_string(root.join(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

#[test]
fn the_readme_wiring_is_the_outside_application() {
    let main = read("examples/outside/src/main.rs");
    let start = "    // --- Wiring it together (the README shows this part) ---\n";
    let end = "    // --- end of the README's part ---";
    let from = main.find(start).expect("start marker") + start.len();
    let to = main.find(end).expect("end marker");
    let code: String = main[from..to]
        .lines()
        .map(|l| format!("{}\n", l.strip_prefix("    ").unwrap_or(l)))
        .collect();

    let readme = read("README.md");
    let section = readme.find("### Wiring it together").expect("the section");
    let block = &readme[section..];
    let block = &block[block.find("```rust,ignore\n").expect("its code") + 15..];
    let block = &block[..block.find("```").expect("its end")];
    assert_eq!(
        block, code,
        "README.md and examples/outside/src/main.rs differ"
    );
}
