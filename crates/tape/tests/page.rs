//! Issue 23: the HTML page of a tape (`Tape::to_html`). Its data must be the tape's own:
//! every node's value and gradient, what each backward rule sends (the running `+=` of a
//! value used twice, the sum back to a broadcast input's shape), finite differences beside
//! the tape's gradients; and the page must load nothing from anywhere.

use ndarray::{array, ArrayD};
use serde_json::Value;
use tapegrad_tape::Tape;

/// The page's data: the JSON the page's script starts from.
fn data(page: &str) -> Value {
    let start = page.find("const DATA = ").expect("the data") + "const DATA = ".len();
    let end = start + page[start..].find(";\n").expect("the data's end");
    serde_json::from_str(&page[start..end]).expect("valid JSON")
}

fn numbers(shown: &Value) -> Vec<f64> {
    shown["numbers"]
        .as_array()
        .expect("small values carry their numbers")
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect()
}

fn flat(a: &ArrayD<f64>) -> Vec<f64> {
    a.iter().copied().collect()
}

#[test]
fn every_node_value_and_gradient_is_the_tapes() {
    let w = array![[0.5, -1.0], [2.0, 0.25]];
    let tape = Tape::new();
    let x = tape.var(array![[1.0, 2.0]]).named("x");
    let w_var = tape.param(&w);
    let product = x.matmul(&w_var);
    let h = product.tanh().named("h");
    let squares = h * h;
    let loss = squares.sum().named("loss");
    let grads = tape.backward(loss);
    let page = tape.to_html(&grads);
    let data = data(&page);
    let nodes = data["nodes"].as_array().unwrap();
    let vars = [x, w_var, product, h, squares, loss];
    assert_eq!(nodes.len(), vars.len());
    assert_eq!(data["root"], 5);
    for (i, (node, var)) in nodes.iter().zip(vars).enumerate() {
        assert_eq!(var.id().index(), i);
        let value = var.value();
        assert_eq!(numbers(&node["value"]), flat(&value), "node {i}'s value");
        assert_eq!(node["shape"].as_array().unwrap().len(), value.ndim());
        let grad = grads.get(var).expect("every node here gets a gradient");
        assert_eq!(numbers(&node["grad"]), flat(&grad.to_owned()), "node {i}'s gradient");
        assert!(node["site"].as_str().unwrap().contains("tests/page.rs"), "{}", node["site"]);
    }
    assert_eq!(nodes[0]["name"], "x");
    assert_eq!(nodes[3]["name"], "h");
    assert_eq!(nodes[3]["rule"], "y = tanh x;  ∂L/∂x = ∂L/∂y · (1 − y²)");
    // The leaves' finite differences agree with the tape.
    for leaf in [0, 1] {
        assert!(nodes[leaf]["fd_error"].as_f64().unwrap() < 1e-7, "{}", nodes[leaf]);
    }
}

#[test]
fn a_value_used_twice_shows_its_running_sum() {
    let tape = Tape::new();
    let x = tape.var(array![3.0]).named("x");
    let y = (x * x).sum();
    let grads = tape.backward(y);
    let data = data(&tape.to_html(&grads));
    // mul's rule sends ∂L/∂y · x = 3 to each of its inputs, both x: the first is x's
    // gradient, the second adds up to 6 = 2x.
    let mul = data["backward"].as_array().unwrap().iter().find(|s| s["node"] == 1).unwrap();
    let sends = mul["sends"].as_array().unwrap();
    assert_eq!(sends.len(), 2);
    assert_eq!((sends[0]["input"].as_u64(), sends[1]["input"].as_u64()), (Some(0), Some(0)));
    assert_eq!(sends[0]["first"], true);
    assert_eq!(numbers(&sends[0]["total"]), [3.0]);
    assert_eq!(sends[1]["first"], false);
    assert_eq!(numbers(&sends[1]["grad"]), [3.0]);
    assert_eq!(numbers(&sends[1]["total"]), [6.0]);
    assert_eq!(numbers(&data["nodes"][0]["grad"]), [6.0]);
}

#[test]
fn a_broadcast_input_is_summed_back_to_its_shape() {
    let b = array![1.0, -1.0];
    let tape = Tape::new();
    let x = tape.constant(array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]);
    let y = (x + tape.param(&b)).square().sum();
    let grads = tape.backward(y);
    let data = data(&tape.to_html(&grads));
    let add = data["backward"].as_array().unwrap().iter().find(|s| s["node"] == 2).unwrap();
    let to_b = &add["sends"][1];
    assert_eq!(to_b["input"], 1);
    assert_eq!(to_b["broadcast_from"], serde_json::json!([3, 2]));
    // ∂L/∂b = Σ over rows of 2(x + b) = 2·(2+4+6, 1+3+5) = (24, 18)
    assert_eq!(numbers(&to_b["grad"]), [24.0, 18.0]);
    // The reduction as its own step: the rule's gradient at the output's shape, 2(x + b)
    // per element, then summed over axis 0.
    assert_eq!(to_b["unreduced"]["shape"], serde_json::json!([3, 2]));
    assert_eq!(numbers(&to_b["unreduced"]), [4.0, 2.0, 8.0, 6.0, 12.0, 10.0]);
    assert_eq!(to_b["summed_axes"], serde_json::json!([0]));
    assert_eq!(numbers(&data["nodes"][1]["grad"]), flat(&grads.param(&b).unwrap().to_owned()));
    // The constant gets nothing; the page says so.
    assert!(add["sends"][0]["grad"].is_null());

    // affine broadcasts its bias, not its weight (whose shape differs from the output's).
    let w = array![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]];
    let tape = Tape::new();
    let x = tape.var(array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    let y = x.affine(&tape.param(&w), &tape.param(&b)).sum();
    let affine_page = self::data(&tape.to_html(&tape.backward(y)));
    let affine = affine_page["backward"].as_array().unwrap().iter().find(|s| s["node"] == 3).unwrap();
    let broadcast: Vec<bool> =
        affine["sends"].as_array().unwrap().iter().map(|send| !send["broadcast_from"].is_null()).collect();
    assert_eq!(broadcast, [false, false, true], "x, W, b");
    // A kept axis of length 1 is summed too: [2, 1] against [2, 3].
    let tape = Tape::new();
    let x = tape.constant(array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    let c = tape.var(array![[1.0], [2.0]]);
    let page = self::data(&tape.to_html(&tape.backward((x * c).sum())));
    let mul = page["backward"].as_array().unwrap().iter().find(|s| s["node"] == 2).unwrap();
    assert_eq!(mul["sends"][1]["summed_axes"], serde_json::json!([1]));
    assert_eq!(numbers(&mul["sends"][1]["unreduced"]), [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    assert_eq!(numbers(&mul["sends"][1]["grad"]), [6.0, 15.0]);
    // A heat map stands in for numbers only for values too large to list.
    assert!(affine_page["nodes"][0]["value"]["heat"].is_null());
}

#[test]
fn the_page_loads_nothing_from_anywhere() {
    let tape = Tape::new();
    let x = tape.var(array![1.0, 2.0]).named("</script><script>alert(1)</script><!--<script>");
    let grads = tape.backward(x.exp().sum());
    let page = tape.to_html(&grads);
    for reference in ["src=", "href=", "url(http", "@import", "fetch(", "XMLHttpRequest", "<link", "<iframe"]
    {
        assert!(!page.contains(reference), "the page holds {reference:?}");
    }
    // A name can neither end the script early nor keep it from ending (`<!--<script>`):
    // the data holds no `<`.
    assert_eq!(page.matches("</script>").count(), 1);
    let start = page.find("const DATA = ").unwrap();
    assert!(!page[start..start + page[start..].find(";\n").unwrap()].contains('<'));
    assert_eq!(data(&page)["nodes"][0]["name"], "</script><script>alert(1)</script><!--<script>");
    assert!(page.len() < 60_000, "{} bytes", page.len());
}

#[test]
fn large_tensors_are_summarised_and_get_no_finite_differences() {
    let w = ndarray::Array2::<f64>::from_elem((20, 30), 0.1);
    let tape = Tape::new();
    let y = tape.param(&w).sum();
    let grads = tape.backward(y);
    let data = data(&tape.to_html(&grads));
    let leaf = &data["nodes"][0];
    assert!(leaf["value"]["numbers"].is_null());
    assert_eq!(leaf["value"]["lines"][0], "<shape [20, 30], min 0.1000, mean 0.1000, max 0.1000>");
    assert!(leaf["fd"].is_null());
    assert!(leaf["value"]["cells"].is_null(), "a large value is a summary and a heat map, not a table");
    assert_eq!(leaf["value"]["heat"]["rows"], 16);
    // The DOT file and the trace show the summary and a heat map of shaded characters.
    let dot = tape.to_dot(Some(&grads));
    assert!(
        dot.contains(
            "<shape [20, 30], min 0.1000, mean 0.1000, max 0.1000>\\n      heat map of |x|, 16 × 16 cells"
        ),
        "{dot}"
    );
    assert!(dot.contains(&"█".repeat(16)), "{dot}");
    let tape = Tape::new();
    let w = tape.param(&w);
    let (_, trace) = tape.backward_trace((w * w).sum());
    let text = trace.to_string();
    assert!(text.contains("heat map of |x|, 16 × 16 cells (block means), █ = 0.1000:"), "{text}");
}

#[test]
fn small_tensors_are_tables_of_every_element() {
    // The panel draws a small value as a table of `cells`, row-major in its shape: every
    // element, the non-finite ones too (they have no entry among the numbers).
    let tape = Tape::new();
    let m = tape.constant(array![[1.0, f64::NAN, -2.5], [f64::INFINITY, 0.125, 3.0]]);
    let y = tape.var(array![1.0, 2.0]);
    let total = (m.sum() + y.sum()).named("total");
    let grads = tape.backward(total);
    let d = data(&tape.to_html(&grads));
    let cells = |node: usize| -> Vec<String> {
        d["nodes"][node]["value"]["cells"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(d["nodes"][0]["value"]["shape"], serde_json::json!([2, 3]));
    assert_eq!(cells(0), ["1.0000", "NaN", "-2.5000", "inf", "0.1250", "3.0000"]);
    assert_eq!(cells(1), ["1.0000", "2.0000"]);
    assert_eq!(d["nodes"][0]["value"]["numbers"][1], Value::Null);
}

#[test]
fn a_recorded_derivative_is_marked_as_a_second_layer() {
    // y = x³; dy/dx = 3x² recorded (create_graph), then differentiated: d²y/dx² = 6x.
    let tape = Tape::new();
    let x = tape.var(array![2.0]).named("x");
    let y = x.powf(3.0).sum().named("y");
    let before = tape.len();
    let dy = tape.grad(y, &[x], true).unwrap()[0].sum().named("dy/dx");
    let grads = tape.backward(dy);
    assert_eq!(grads.get(x).unwrap()[[0]], 12.0);
    let d = data(&tape.to_html(&grads));
    let nodes = d["nodes"].as_array().unwrap();
    let function_depth = nodes[..before].iter().map(|n| n["layer"].as_u64().unwrap()).max().unwrap();
    for (i, node) in nodes.iter().enumerate() {
        let of = node["derivative_of"].as_u64();
        if i < before {
            assert_eq!(of, None, "node {i} is the function's");
            continue;
        }
        // Every node the backward pass recorded (its seed first) belongs to the
        // derivative of a node of the function, and sits below the function.
        if node["name"] != "dy/dx" {
            let of = of.unwrap_or_else(|| panic!("node {i} ({}) is the derivative's", node["op"]));
            assert!((of as usize) < before, "node {i} differentiates node {of}");
            assert!(node["layer"].as_u64().unwrap() > function_depth, "node {i} is below the function");
        }
    }
    // A tape without create_graph marks nothing.
    let tape = Tape::new();
    let x = tape.var(array![2.0]);
    let grads = tape.backward(x.powf(3.0).sum());
    let d = data(&tape.to_html(&grads));
    assert!(d["nodes"].as_array().unwrap().iter().all(|n| n["derivative_of"].is_null()));
}

#[test]
fn every_built_in_op_states_its_rule() {
    use tapegrad_tape::{Triangle, Var};
    let tape = Tape::new();
    let x = tape.var(array![[0.5, 1.0, 1.5], [2.0, 2.5, 3.0]]);
    let v = tape.var(array![0.2, 0.4, 0.6]);
    let w = tape.var(array![[1.0, 0.5], [0.0, 1.0], [-1.0, 2.0]]);
    let b = tape.var(array![0.1, -0.1]);
    let parts = [
        x.abs(),
        x.add(&x),
        x.add_scalar(1.0),
        x.affine(&w, &b),
        v.broadcast_to(&[2, 3]),
        x.clamp(1.0, 2.0),
        Var::concat(&[x, x], 0),
        x.cos(),
        x.cumsum(1),
        v.diag_embed(),
        x.div(&x.add_scalar(1.0)),
        x.div_scalar(2.0),
        x.exp(),
        v.fill_triangle(2, Triangle::Lower).unwrap(),
        x.gather(1, &array![[0], [2]]).unwrap(),
        v.index_add(0, &[1, 0, 1], 2).unwrap(),
        x.leaky_relu(0.1),
        x.log(),
        x.log_sigmoid(),
        x.log_softmax(1),
        x.log_sum_exp(),
        x.log_sum_exp_axes(&[1], false),
        x.matmul(&w),
        x.max(),
        x.max_axes(&[0], false),
        x.maximum(&v),
        x.mean(),
        x.mean_axes(&[1], true),
        x.min(),
        x.min_axes(&[1], false),
        x.minimum(&v),
        x.mul(&v),
        x.mul_scalar(3.0),
        x.neg(),
        x.permute(&[1, 0]),
        x.pow(&v),
        x.powf(1.5),
        x.relu(),
        x.reshape(&[3, 2]),
        x.select(1, &[2, 0]).unwrap(),
        x.shift(1, 1),
        x.sigmoid(),
        x.sin(),
        x.slice_axis(1, 0..2),
        x.softmax(1),
        x.softplus(),
        x.sqrt(),
        x.square(),
        x.sub(&v),
        x.sub_scalar(1.0),
        x.sum_axes(&[0], false),
        x.sum_to(&[3]),
        x.t(),
        x.tanh(),
        x.transpose(0, 1),
    ];
    let mut total = parts[0].sum();
    for part in &parts[1..] {
        total = total + part.sum();
    }
    let grads = tape.backward(total);
    let d = data(&tape.to_html(&grads));
    let missing: Vec<String> = d["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "op" && n["rule"].is_null())
        .map(|n| n["op"].as_str().unwrap().to_string())
        .collect();
    assert!(missing.is_empty(), "ops whose page shows no rule: {missing:?}");
}
