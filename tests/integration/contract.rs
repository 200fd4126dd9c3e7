//! The REST API against its own OpenAPI document, fuzzed by schemathesis (PyPI) as a
//! construction unit, a county inspector and a system administrator, on the demo data: no
//! server error, no status the document does not list, no answer that breaks its schema.
//!
//! `scripts/test.sh` installs schemathesis under CI (a virtual environment in the tools
//! folder) and passes its path in `NRMM_SCHEMATHESIS`; elsewhere `st` on the PATH is used, or
//! the test says why it was skipped.

use crate::helpers::{TestApp, expect_status};
use serde_json::json;
use std::path::PathBuf;

/// Generated cases per operation and phase: with the coverage phase's own cases this makes a
/// few thousand requests per role.
const EXAMPLES: &str = "12";

fn schemathesis() -> Option<PathBuf> {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    let found = std::env::var_os("NRMM_SCHEMATHESIS").map(PathBuf::from).or_else(|| {
        std::env::var_os("PATH").and_then(|p| std::env::split_paths(&p).map(|d| d.join("st")).find(|f| f.is_file()))
    });
    match found {
        Some(p) if p.is_file() => Some(p),
        _ => {
            assert!(!ci, "CI=true requires schemathesis (scripts/test.sh installs it; NRMM_SCHEMATHESIS names it)");
            eprintln!("SKIPPED contract fuzzing: schemathesis is not installed (pip install schemathesis)");
            None
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_api_keeps_its_documented_contract_for_every_role() {
    let Some(st) = schemathesis() else { return };
    let app = TestApp::sqlite().await;
    server::seed::demo(&app.state).await.expect("demo data");
    let password = server::seed::DEMO_PASSWORD;
    let mut failures = Vec::new();
    for user in ["builder.admin", "xiaodian.inspector", "admin"] {
        let client = TestApp::new_client();
        let login = json!({"username": user, "password": password});
        expect_status(app.post_as(&client, "/api/v1/auth/login", &login).await, 200).await;
        let token = expect_status(app.post_as(&client, "/api/v1/auth/tokens", &json!({"name": "fuzz"})).await, 201)
            .await["token"]
            .as_str()
            .expect("token")
            .to_owned();
        let report = tempfile::tempdir().expect("report dir");
        let started = std::time::Instant::now();
        let mut cmd = std::process::Command::new(&st);
        cmd.arg("run")
            .arg(app.url("/api/v1/openapi.json"))
            .args(["--url", &app.url("")])
            .args(["--header", &format!("Authorization: Bearer {token}")])
            .args([
                "--checks",
                "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
            ])
            .args(["--phases", "examples,coverage,fuzzing"])
            .args(["--max-examples", EXAMPLES, "--seed", "20261206", "--workers", "2"])
            .args(["--generation-database", "none", "--no-color", "--request-timeout", "30"])
            // The fuzzer must not sign its own caller out or revoke its own credentials.
            .args(["--exclude-path", "/api/v1/auth/logout"])
            .args(["--report", "ndjson", "--report-dir"])
            .arg(report.path());
        let out = tokio::task::spawn_blocking(move || cmd.output()).await.expect("join").expect("run schemathesis");
        let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
        let summary: Vec<&str> =
            text.lines().filter(|l| l.contains("passed") || l.contains("failed") || l.contains("errors")).collect();
        eprintln!("schemathesis as {user}: {:?} in {:.0?}\n{}", out.status, started.elapsed(), summary.join("\n"));
        if !out.status.success() {
            let lines: Vec<&str> = text.lines().collect();
            let tail = &lines[lines.len().saturating_sub(400)..];
            failures.push(format!("as {user}:\n{}", tail.join("\n")));
        }
    }
    assert!(failures.is_empty(), "the API broke its documented contract:\n{}", failures.join("\n\n"));
}
