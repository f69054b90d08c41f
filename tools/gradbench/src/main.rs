//! `tapegrad-gradbench`: answers GradBench's protocol on stdin/stdout, one line per message.
//! Run it as a GradBench tool (docs/performance.md, "GradBench", says how).

use std::io::{BufRead, Write};

fn main() {
    // Every core, as PyTorch's and JAX's tools use by default, unless the environment asks
    // for a count (`TAPEGRAD_NUM_THREADS=1` for one thread). Threads split large matrix
    // products and elementwise loops over 2¹⁵ numbers and more; the results are
    // bit-identical whatever the count.
    if ["TAPEGRAD_NUM_THREADS", "RAYON_NUM_THREADS"].iter().all(|name| std::env::var_os(name).is_none()) {
        tapegrad::tape::set_num_threads(0);
    }
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout().lock();
    for line in stdin.lock().split(b'\n') {
        let Ok(line) = line else { break };
        // Bytes that are not UTF-8 cannot be JSON: the parser names the problem.
        let line = String::from_utf8_lossy(&line);
        if line.trim().is_empty() {
            continue;
        }
        let response = tapegrad_gradbench::protocol::respond(&line);
        if writeln!(stdout, "{response}").and_then(|()| stdout.flush()).is_err() {
            break;
        }
    }
}
