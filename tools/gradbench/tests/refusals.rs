//! Inputs the tool must refuse with an error that names the problem, never a panic: the
//! named cases, and every module's valid input mutated field by field (removed, replaced
//! with a string, a negative or huge number, an empty or ragged list).

use std::panic::{catch_unwind, AssertUnwindSafe};

use serde_json::{json, Value};
use tapegrad_gradbench::protocol::respond;

use crate::hand;

/// Evaluates and returns the error message, panicking if the call succeeded or panicked.
fn refused(module: &str, function: &str, input: Value) -> String {
    let message =
        json!({"id": 1, "kind": "evaluate", "module": module, "function": function, "input": input});
    let reply: Value = serde_json::from_str(&respond(&message.to_string())).unwrap();
    assert_eq!(reply["success"], json!(false), "{module}.{function} accepted it: {reply}");
    reply["error"].as_str().unwrap().to_string()
}

#[test]
fn named_problems_are_named() {
    let cases: Vec<(&str, &str, Value, &str)> = vec![
        ("lse", "primal", json!({"x": []}), "`x` is empty"),
        ("lse", "primal", json!({"y": [1.0]}), "missing field `x`"),
        ("lse", "primal", json!({"x": [1.0, "2"]}), "`x[1]`: expected a number"),
        ("llsq", "primal", json!({"x": [1.0], "n": 1}), "need n ≥ 2"),
        ("llsq", "primal", json!({"x": [1.0], "n": -3}), "`n`: expected a non-negative integer"),
        ("llsq", "primal", json!({"x": [1.0], "n": 1u64 << 40}), "larger than this tool accepts"),
        ("det", "primal", json!({"A": [1.0, 2.0, 3.0], "ell": 2}), "an ℓ = 2 matrix (ℓ ≥ 1) has 4"),
        ("det", "primal", json!({"A": [], "ell": 40}), "`ell` = 40 is larger"),
        ("ode", "primal", json!({"x": [1.0], "s": 0}), "must be positive"),
        ("ode", "gradient", json!({"x": [1.0], "s": 1u64 << 33}), "`s`"),
        ("ode", "gradient", json!({"x": vec![1.0; 1000], "s": 100_000}), "n · s = 100000000"),
        (
            "kmeans",
            "cost",
            json!({"points": [[0.0, 1.0]], "centroids": [[1.0]]}),
            "`centroids[0]` has 1 entries, expected 2",
        ),
        ("kmeans", "cost", json!({"points": [], "centroids": []}), "at least one point"),
        ("gmm", "objective", json!({"d": 0, "k": 1, "n": 1}), "must both be at least 1"),
        (
            "lstm",
            "objective",
            json!({"main_params": [[1.0, 2.0, 3.0]], "extra_params": [], "state": [], "sequence": []}),
            "expected [2l, 4b]",
        ),
        ("saddle", "rr", json!({"start": [1.0]}), "`start` has 1 numbers, expected 2"),
        ("saddle", "rx", json!({"start": [1.0, 1.0]}), "no function `rx`"),
        ("particle", "ff", json!({"w": "zero"}), "`w`: expected a number"),
        (
            "ba",
            "objective",
            json!({"n": 0, "m": 1, "p": 1, "cam": [], "x": [], "w": 1, "feat": []}),
            "`n` must be at least 1",
        ),
        (
            "ba",
            "jacobian",
            json!({"n": 1, "m": 1, "p": 1, "cam": [1.0], "x": [1, 2, 3], "w": 1, "feat": [0, 0]}),
            "`cam` has 1 numbers, expected 11",
        ),
        (
            "ba",
            "jacobian",
            json!({"n": 1, "m": 1, "p": 100000000000u64, "cam": [], "x": [], "w": 1, "feat": []}),
            "larger than this tool accepts",
        ),
        ("hello", "square", json!({"x": 1}), "expected a number"),
        ("lse", "primal", json!({"x": [1.0], "min_runs": 0}), "`min_runs` must be at least 1"),
        ("lse", "primal", json!({"x": [1.0], "min_seconds": 1e9}), "`min_seconds`"),
    ];
    for (module, function, input, expected) in cases {
        let error = refused(module, function, input);
        assert!(error.contains(expected), "{module}.{function}: {error:?} does not say {expected:?}");
    }
}

#[test]
fn hand_models_with_bad_indices_are_refused() {
    let mut bad_parent = hand::input(false, 3);
    bad_parent["data"]["model"]["parents"][3] = json!(7);
    assert!(refused("ht", "objective", bad_parent).contains("`parents[3]` = 7"));
    let mut bad_vertex = hand::input(false, 3);
    bad_vertex["data"]["correspondences"][1] = json!(99);
    assert!(
        refused("ht", "jacobian", bad_vertex).contains("`correspondences[1]`: expected an index below 10")
    );
    let mut bad_triangle = hand::input(true, 3);
    bad_triangle["data"]["model"]["triangles"][0] = json!([0, 1, 10]);
    assert!(refused("ht", "objective", bad_triangle).contains("`triangles[0][2]`"));
    let mut bad_us = hand::input(true, 3);
    bad_us["us"] = json!([[0.1, 0.2]]);
    assert!(refused("ht", "objective", bad_us).contains("`us` is (1, 2), expected [3, 2]"));
    let mut short_theta = hand::input(true, 3);
    short_theta["theta"] = json!(vec![0.0; 10]);
    assert!(refused("ht", "objective", short_theta).contains("`theta` has 10 parameters"));
}

/// The ways one field is spoiled.
fn spoilers() -> Vec<Option<Value>> {
    vec![
        None,
        Some(json!("text")),
        Some(json!(-1)),
        Some(json!(1u64 << 50)),
        Some(json!([])),
        Some(json!([[1.0], []])),
        Some(json!(null)),
        Some(json!({})),
    ]
}

/// Every field of `input` (and of objects inside it, two levels deep) spoiled in every way
/// (`saddle` and `particle` only with what is not a number: any number is a valid start,
/// and a far one takes long): the reply is JSON with a `success` flag, and nothing panics.
fn never_panics(module: &str, function: &str, input: &Value) {
    let mut paths: Vec<Vec<String>> = Vec::new();
    if let Value::Object(map) = input {
        for (key, value) in map {
            paths.push(vec![key.clone()]);
            if let Value::Object(inner) = value {
                for (key2, value2) in inner {
                    paths.push(vec![key.clone(), key2.clone()]);
                    if let Value::Object(inner2) = value2 {
                        paths.extend(inner2.keys().map(|key3| vec![key.clone(), key2.clone(), key3.clone()]));
                    }
                }
            }
        }
    }
    for path in paths {
        let numbers_are_valid = matches!(module, "saddle" | "particle");
        for spoiler in spoilers() {
            if numbers_are_valid
                && spoiler.as_ref().is_some_and(|v| {
                    v.is_number() || v.as_array().is_some_and(|a| a.iter().all(Value::is_array))
                })
            {
                continue;
            }
            let mut spoiled = input.clone();
            let (last, parents) = path.split_last().unwrap();
            let mut target = &mut spoiled;
            for key in parents {
                target = &mut target[key.as_str()];
            }
            let map = target.as_object_mut().unwrap();
            match &spoiler {
                None => {
                    map.remove(last);
                }
                Some(value) => {
                    map.insert(last.clone(), value.clone());
                }
            }
            let message = json!({"id": 9, "kind": "evaluate", "module": module, "function": function, "input": spoiled});
            let reply = catch_unwind(AssertUnwindSafe(|| respond(&message.to_string())))
                .unwrap_or_else(|_| panic!("{module}.{function} panicked with {path:?} = {spoiler:?}"));
            let reply: Value = serde_json::from_str(&reply).unwrap();
            assert!(reply["success"].is_boolean(), "{reply}");
        }
    }
}

#[test]
fn spoiled_inputs_never_panic() {
    let cases = vec![
        ("lse", "gradient", json!({"x": [0.5, 1.5], "min_runs": 1, "min_seconds": 0})),
        ("llsq", "gradient", json!({"x": [0.5, 1.5], "n": 4})),
        ("ode", "gradient", json!({"x": [0.5, 1.5], "s": 2})),
        ("det", "gradient", json!({"A": [1.0, 2.0, 3.0, 4.0], "ell": 2})),
        ("kmeans", "dir", json!({"points": [[0.0], [1.0]], "centroids": [[0.2]]})),
        (
            "gmm",
            "jacobian",
            json!({"d": 2, "k": 1, "n": 2, "m": 0, "gamma": 1.0, "x": [[0.0, 1.0], [1.0, 0.0]],
            "alpha": [0.0], "mu": [[0.0, 0.0]], "q": [[0.0, 0.0]], "l": [[0.5]]}),
        ),
        (
            "lstm",
            "jacobian",
            json!({"main_params": [[0.1, 0.2, 0.3, 0.4], [0.5, 0.6, 0.7, 0.8]],
            "extra_params": [[1.0], [0.5], [0.1]], "state": [[0.1], [0.2]], "sequence": [[1.0], [0.0], [1.0]]}),
        ),
        ("saddle", "rf", json!({"start": [2e-5, 2e-5]})),
        ("particle", "rr", json!({"w": 0.2071918746486116})),
        (
            "ba",
            "jacobian",
            json!({"n": 1, "m": 1, "p": 2, "cam": [0.1, 0.1, 0.1, 0.0, 0.0, -3.0, 100.0, 0.0, 0.0, 0.0, 0.0],
            "x": [0.1, 0.2, 1.0], "w": 1.0, "feat": [0.0, 0.0]}),
        ),
        ("ht", "jacobian", hand::input(true, 2)),
    ];
    for (module, function, input) in cases {
        never_panics(module, function, &input);
    }
}
