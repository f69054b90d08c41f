//! GradBench's protocol (its CONTRIBUTING.md, "Protocol"): one JSON message a line in, one
//! JSON response a line out, with the message's `id`. `start` is answered with the tool's
//! name, `define` with whether the module exists, `evaluate` with the function's output and
//! one `evaluate` timing per run, and anything else with the `id` alone.
//!
//! A run is timed from the function's input, already parsed and laid out as arrays, to its
//! output as arrays: building the tape, the forward pass, the backward passes and reading
//! the result. Parsing and writing JSON are outside, as the protocol asks.

use std::time::Instant;

use serde_json::{json, Map, Value};

use crate::evals;
use crate::input::{count, error, field, number, Result, ToolError};

/// How often to run a function: at least `min_runs` times, and until the runs add up to
/// `min_seconds` (the eval's `min_runs` and `min_seconds`; once, when it gives neither).
///
/// ```
/// let runs = tapegrad_gradbench::protocol::Runs { min_runs: 2, min_seconds: 0.0 };
/// assert_eq!(runs.repeat(|| Ok(())).unwrap().1.len(), 2);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Runs {
    /// At least this many runs.
    pub min_runs: usize,
    /// And at least this much time, summed over the runs.
    pub min_seconds: f64,
}

/// The most runs one evaluate may ask for.
///
/// ```
/// use tapegrad_gradbench::protocol::{Runs, MAX_RUNS};
/// assert!(Runs::from_input(&serde_json::json!({"min_runs": MAX_RUNS + 1})).is_err());
/// ```
pub const MAX_RUNS: usize = 1_000_000;
/// The longest one evaluate may ask to keep running, in seconds (an hour).
///
/// ```
/// use tapegrad_gradbench::protocol::{Runs, MAX_SECONDS};
/// assert!(Runs::from_input(&serde_json::json!({"min_seconds": MAX_SECONDS * 2.0})).is_err());
/// ```
pub const MAX_SECONDS: f64 = 3600.0;

impl Runs {
    /// Reads `min_runs` and `min_seconds` from an input (both optional).
    ///
    /// # Errors
    /// If either is present but not a number in range (`min_runs` in `1..=`[`MAX_RUNS`],
    /// `min_seconds` in `0..=`[`MAX_SECONDS`]).
    ///
    /// ```
    /// use tapegrad_gradbench::protocol::Runs;
    /// let runs = Runs::from_input(&serde_json::json!({"min_runs": 3, "min_seconds": 0.5})).unwrap();
    /// assert_eq!(runs, Runs { min_runs: 3, min_seconds: 0.5 });
    /// assert_eq!(Runs::from_input(&serde_json::json!(2.0)).unwrap().min_runs, 1);
    /// assert!(Runs::from_input(&serde_json::json!({"min_runs": 0})).is_err());
    /// ```
    pub fn from_input(input: &Value) -> Result<Runs> {
        let min_runs = match input.get("min_runs") {
            Some(value) => count(value, "min_runs", MAX_RUNS)?,
            None => 1,
        };
        if min_runs == 0 {
            return Err(error("`min_runs` must be at least 1"));
        }
        let min_seconds = match input.get("min_seconds") {
            Some(value) => number(value, "min_seconds")?,
            None => 0.0,
        };
        if !(0.0..=MAX_SECONDS).contains(&min_seconds) {
            return Err(error(format_args!("`min_seconds` = {min_seconds} is outside 0..={MAX_SECONDS}")));
        }
        Ok(Runs { min_runs, min_seconds })
    }

    /// Runs `function` as often as asked, timing each run; returns the last output and
    /// every run's time in nanoseconds.
    ///
    /// # Errors
    /// The first error `function` returns.
    ///
    /// ```
    /// use tapegrad_gradbench::protocol::Runs;
    /// let runs = Runs { min_runs: 3, min_seconds: 0.0 };
    /// let (output, timings) = runs.repeat(|| Ok(2 + 2)).unwrap();
    /// assert_eq!((output, timings.len()), (4, 3));
    /// ```
    pub fn repeat<O>(&self, mut function: impl FnMut() -> Result<O>) -> Result<(O, Vec<u64>)> {
        let mut timings = Vec::new();
        let mut seconds = 0.0;
        loop {
            let start = Instant::now();
            let output = function()?;
            let elapsed = start.elapsed();
            timings.push(u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX));
            seconds += elapsed.as_secs_f64();
            if timings.len() >= self.min_runs && seconds >= self.min_seconds {
                return Ok((output, timings));
            }
        }
    }
}

/// An evaluated function: its output and each run's time.
///
/// ```
/// let out = tapegrad_gradbench::evals::evaluate("hello", "double", &serde_json::json!(2.0)).unwrap();
/// assert_eq!((out.output, out.timings.len()), (serde_json::json!(4.0), 1));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// The function's result, as the eval's protocol lays it out.
    pub output: Value,
    /// Nanoseconds per run.
    pub timings: Vec<u64>,
}

impl Evaluation {
    /// Runs `function` as `input`'s `min_runs`/`min_seconds` ask, then turns the last
    /// output into JSON with `to_json` (untimed).
    ///
    /// # Errors
    /// A bad `min_runs`/`min_seconds`, or `function`'s error.
    ///
    /// ```
    /// use tapegrad_gradbench::protocol::Evaluation;
    /// let input = serde_json::json!({"min_runs": 2, "min_seconds": 0});
    /// let evaluation = Evaluation::timed(&input, || Ok(1.5), |x| serde_json::json!(x)).unwrap();
    /// assert_eq!(evaluation.output, serde_json::json!(1.5));
    /// assert_eq!(evaluation.timings.len(), 2);
    /// ```
    pub fn timed<O>(
        input: &Value,
        function: impl FnMut() -> Result<O>,
        to_json: impl FnOnce(O) -> Value,
    ) -> Result<Self> {
        let (output, timings) = Runs::from_input(input)?.repeat(function)?;
        Ok(Evaluation { output: to_json(output), timings })
    }
}

/// The tool's side of a session: answers each message line with one response line.
///
/// ```
/// use tapegrad_gradbench::protocol::respond;
/// let start = respond(r#"{"id": 0, "kind": "start", "eval": "hello"}"#);
/// assert_eq!(start, r#"{"id":0,"tool":"tapegrad"}"#);
/// let define = respond(r#"{"id": 1, "kind": "define", "module": "hello"}"#);
/// assert_eq!(define, r#"{"id":1,"success":true}"#);
/// let unknown = respond(r#"{"id": 2, "kind": "define", "module": "nope"}"#);
/// assert!(unknown.starts_with(r#"{"error":"#) && unknown.contains(r#""success":false"#));
/// let square = respond(r#"{"id": 3, "kind": "evaluate", "module": "hello", "function": "square", "input": 3.0}"#);
/// assert!(square.contains(r#""output":9.0"#) && square.contains(r#""success":true"#));
/// assert_eq!(respond(r#"{"id": 4, "kind": "analysis", "of": 3, "valid": true}"#), r#"{"id":4}"#);
/// ```
pub fn respond(line: &str) -> String {
    let response = match serde_json::from_str::<Value>(line) {
        Ok(message) => answer(&message),
        Err(err) => failure(Value::Null, error(format_args!("not a JSON message: {err}"))),
    };
    response.to_string()
}

/// The response to one parsed message.
fn answer(message: &Value) -> Value {
    let id = message.get("id").cloned().unwrap_or(Value::Null);
    let kind = message.get("kind").and_then(Value::as_str).unwrap_or("");
    match kind {
        "start" => json!({"id": id, "tool": "tapegrad"}),
        "define" => match define(message) {
            Ok(()) => json!({"id": id, "success": true}),
            Err(err) => failure(id, err),
        },
        "evaluate" => match evaluate(message) {
            Ok(evaluation) => {
                let timings: Vec<Value> = evaluation
                    .timings
                    .iter()
                    .map(|&ns| json!({"name": "evaluate", "nanoseconds": ns}))
                    .collect();
                json!({"id": id, "success": true, "output": evaluation.output, "timings": timings})
            }
            Err(err) => failure(id, err),
        },
        _ => json!({"id": id}),
    }
}

fn failure(id: Value, err: ToolError) -> Value {
    let mut map = Map::new();
    map.insert("id".into(), id);
    map.insert("success".into(), Value::Bool(false));
    map.insert("error".into(), Value::String(err.0));
    Value::Object(map)
}

fn module_name(message: &Value) -> Result<&str> {
    field(message, "module")?.as_str().ok_or_else(|| error("`module`: expected a string"))
}

fn define(message: &Value) -> Result<()> {
    let module = module_name(message)?;
    match evals::MODULES.contains(&module) {
        true => Ok(()),
        false => Err(error(format_args!(
            "tapegrad has no module `{module}` (it has {})",
            evals::MODULES.join(", ")
        ))),
    }
}

fn evaluate(message: &Value) -> Result<Evaluation> {
    let module = module_name(message)?;
    let function =
        field(message, "function")?.as_str().ok_or_else(|| error("`function`: expected a string"))?;
    let input = field(message, "input")?;
    evals::evaluate(module, function, input)
}
