//! The `embed_router` example starts, answers a request to itself and exits.

#[test]
fn embed_router_smoke() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_embed_router"))
        .arg("--smoke")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("listening on http://127.0.0.1:"),
        "{stdout}"
    );
    assert!(stdout.contains("smoke: GET /share/api/openapi.json -> HTTP/1.1 200 OK"));
}
