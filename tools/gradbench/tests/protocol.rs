//! Every module answers a whole session through the protocol: start, define, an evaluate of
//! each function (output present, one timing per run), analysis; unknown names get
//! `success: false` with a reason.

use serde_json::{json, Value};
use tapegrad_gradbench::protocol::respond;

use crate::hand;

fn send(message: Value) -> Value {
    let reply = respond(&message.to_string());
    serde_json::from_str(&reply).unwrap_or_else(|err| panic!("reply is not JSON ({err}): {reply}"))
}

/// Runs start, define, each function at `input` (three runs each) and an analysis, and
/// returns the outputs.
fn session(module: &str, functions: &[&str], input: Value) -> Vec<Value> {
    session_with_runs(module, functions, input, 3)
}

/// [`session`] with `runs` runs of each function.
fn session_with_runs(module: &str, functions: &[&str], input: Value, runs: usize) -> Vec<Value> {
    let start = send(json!({"id": 0, "kind": "start", "eval": module}));
    assert_eq!(start, json!({"id": 0, "tool": "tapegrad"}));
    assert_eq!(send(json!({"id": 1, "kind": "define", "module": module})), json!({"id": 1, "success": true}));
    let mut outputs = Vec::new();
    for (k, function) in functions.iter().enumerate() {
        let id = 2 + 2 * k;
        let mut input = input.clone();
        if let Value::Object(map) = &mut input {
            map.insert("min_runs".into(), json!(runs));
            map.insert("min_seconds".into(), json!(0));
        }
        let reply = send(
            json!({"id": id, "kind": "evaluate", "module": module, "function": function, "input": input}),
        );
        assert_eq!(reply["id"], json!(id));
        assert_eq!(reply["success"], json!(true), "{module}.{function}: {reply}");
        let timings = reply["timings"].as_array().expect("timings");
        let expected_runs = if input.is_object() { runs } else { 1 };
        assert_eq!(timings.len(), expected_runs, "{module}.{function}: one timing per run");
        assert!(timings.iter().all(|t| t["name"] == "evaluate" && t["nanoseconds"].as_u64().is_some()));
        outputs.push(reply["output"].clone());
        let analysis = send(json!({"id": id + 1, "kind": "analysis", "of": id, "valid": true}));
        assert_eq!(analysis, json!({"id": id + 1}));
    }
    outputs
}

#[test]
fn hello() {
    let out = session("hello", &["square", "double"], json!(3.0));
    assert_eq!(out, vec![json!(9.0), json!(6.0)]);
}

#[test]
fn lse() {
    let out = session("lse", &["primal", "gradient"], json!({"x": [0.0, 0.0, 0.0, 0.0]}));
    assert!((out[0].as_f64().unwrap() - 4f64.ln()).abs() < 1e-15);
    assert_eq!(out[1], json!([0.25, 0.25, 0.25, 0.25]));
}

#[test]
fn llsq() {
    let out = session("llsq", &["primal", "gradient"], json!({"x": [0.1, 0.2, 0.3], "n": 5}));
    assert!(out[0].as_f64().unwrap() > 0.0);
    assert_eq!(out[1].as_array().unwrap().len(), 3);
}

#[test]
fn gmm() {
    let input = json!({"d": 2, "k": 2, "n": 3, "m": 1, "gamma": 1.5,
        "x": [[0.1, 0.2], [-0.3, 0.4], [0.5, -0.6]], "alpha": [0.2, -0.1],
        "mu": [[0.0, 0.1], [0.2, -0.2]], "q": [[0.1, -0.2], [0.3, 0.0]], "l": [[0.5], [-0.4]]});
    let out = session("gmm", &["objective", "jacobian"], input);
    assert!(out[0].as_f64().unwrap().is_finite());
    for (key, rows, columns) in [("mu", 2, 2), ("q", 2, 2), ("l", 2, 1)] {
        let matrix = out[1][key].as_array().unwrap();
        assert_eq!(matrix.len(), rows, "{key}");
        assert!(matrix.iter().all(|row| row.as_array().unwrap().len() == columns), "{key}");
    }
    assert_eq!(out[1]["alpha"].as_array().unwrap().len(), 2);
}

#[test]
fn lstm() {
    let input = json!({"main_params": [[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8], [0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1]],
        "extra_params": [[0.5, 0.6], [0.7, 0.8], [0.1, 0.2]], "state": [[0.3, 0.2], [0.1, 0.4]],
        "sequence": [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]});
    let out = session("lstm", &["objective", "jacobian"], input);
    assert!(out[0].as_f64().unwrap() > 0.0);
    assert_eq!(out[1].as_array().unwrap().len(), 2 * 8 + 3 * 2);
}

#[test]
fn ode() {
    let out = session("ode", &["primal", "gradient"], json!({"x": [0.5, 0.4, 0.3], "s": 4}));
    assert_eq!(out[0].as_array().unwrap().len(), 3);
    assert_eq!(out[1].as_array().unwrap().len(), 3);
}

#[test]
fn det() {
    let out = session("det", &["primal", "gradient"], json!({"A": [2.0, 1.0, 1.0, 3.0], "ell": 2}));
    assert_eq!(out[0], json!(5.0));
    assert_eq!(out[1], json!([3.0, -1.0, -1.0, 2.0]));
}

#[test]
fn kmeans() {
    let input =
        json!({"points": [[0.0, 0.0], [1.0, 0.0], [4.0, 4.0]], "centroids": [[0.0, 0.0], [4.0, 5.0]]});
    let out = session("kmeans", &["cost", "dir"], input);
    assert_eq!(out, vec![json!(2.0), json!([[-0.5, 0.0], [0.0, 1.0]])]);
}

#[test]
fn saddle() {
    // GradBench starts at (1, 1); near the saddle the descents take a few steps.
    let out = session("saddle", &["rr", "rf", "fr", "ff"], json!({"start": [2e-5, -3e-5]}));
    for point in out {
        let point = point.as_array().unwrap();
        assert_eq!(point.len(), 4);
        assert!(point.iter().all(|v| v.as_f64().unwrap().abs() < 1e-4), "{point:?}");
    }
}

#[test]
fn particle() {
    // GradBench starts at w = 0; from where that descent ends it stops at once.
    // One run each: a trajectory differentiated to the third order (ff) is slow unoptimised.
    let out = session_with_runs("particle", &["rr", "rf", "fr", "ff"], json!({"w": 0.2071918746486116}), 1);
    let first = out[0].as_f64().unwrap();
    for w in &out {
        assert!((w.as_f64().unwrap() - first).abs() < 1e-6, "{out:?}");
    }
}

#[test]
fn ba() {
    let input = json!({"n": 2, "m": 3, "p": 20, "cam": [0.1, -0.2, 0.3, 0.5, 0.1, -2.0, 300.0, 1.0, 2.0, 0.01, 0.001],
        "x": [1.0, 2.0, 3.0], "w": 0.9, "feat": [10.0, 20.0]});
    let out = session("ba", &["objective", "jacobian"], input);
    assert_eq!(out[0]["reproj_error"]["repeated"], json!(20));
    assert_eq!(out[0]["w_err"]["repeated"], json!(20));
    let jacobian = &out[1];
    for key in ["rows", "cols", "vals"] {
        assert_eq!(jacobian[key].as_array().unwrap().len(), 31, "{key}");
    }
    // Rows end at 2·15·p + p entries; the last column is the last weight's.
    assert_eq!(jacobian["rows"][30], json!(2 * 15 * 20 + 20));
    assert_eq!(jacobian["cols"][30], json!(11 * 2 + 3 * 3 + 19));
}

#[test]
fn ht_simple_and_complicated() {
    for complicated in [false, true] {
        let input = hand::input(complicated, 4);
        let out = session("ht", &["objective", "jacobian"], input);
        assert_eq!(out[0].as_array().unwrap().len(), 12);
        let rows = out[1].as_array().unwrap();
        assert_eq!(rows.len(), 12);
        let columns = if complicated { 28 } else { 26 };
        assert!(rows.iter().all(|r| r.as_array().unwrap().len() == columns));
    }
}

#[test]
fn unknown_modules_functions_and_kinds() {
    let reply = send(json!({"id": 5, "kind": "define", "module": "nope"}));
    assert_eq!(reply["success"], json!(false));
    assert!(reply["error"].as_str().unwrap().contains("no module `nope`"), "{reply}");
    let reply = send(
        json!({"id": 6, "kind": "evaluate", "module": "lse", "function": "hessian", "input": {"x": [1.0]}}),
    );
    assert_eq!(reply["success"], json!(false));
    assert!(reply["error"].as_str().unwrap().contains("no function `hessian`"), "{reply}");
    assert_eq!(send(json!({"id": 7, "kind": "end"})), json!({"id": 7}));
    let reply: Value = serde_json::from_str(&respond("{not json")).unwrap();
    assert_eq!((reply["id"].clone(), reply["success"].clone()), (Value::Null, json!(false)));
}
