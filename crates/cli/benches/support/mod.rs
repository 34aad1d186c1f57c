//! What the benches share: a sandbox process on an ephemeral port, and a command timed with
//! its peak resident set.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::time::Instant;

/// `carbonsync sandbox <args>` in its own process; its base URL from the first line it prints.
/// Kill the child when done.
pub fn start_sandbox(bin: &str, args: &[&str]) -> (Child, String) {
    let mut sandbox = Command::new(bin)
        .arg("sandbox")
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .expect("start sandbox");
    let mut line = String::new();
    BufReader::new(sandbox.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().rsplit(' ').next().unwrap().to_string();
    (sandbox, url)
}

/// Runs `command` to its end with standard output captured; returns its output, the seconds
/// it took and its peak RSS in MB.
pub fn run_measured(command: &mut Command) -> (Output, f64, f64) {
    let start = Instant::now();
    let mut child = command
        .stdout(Stdio::piped())
        .spawn()
        .expect("run the command");
    // VmHWM is the process's own high-water mark, so sampling it until the process exits
    // gives its peak resident set.
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0u64;
    while child.try_wait().unwrap().is_none() {
        if let Some(kb) = std::fs::read_to_string(&status_path)
            .ok()
            .and_then(|s| vm_hwm_kb(&s))
        {
            peak_kb = peak_kb.max(kb);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    (
        output,
        start.elapsed().as_secs_f64(),
        peak_kb as f64 / 1024.0,
    )
}

fn vm_hwm_kb(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}
