//! `cargo xtask bench-load --redis`: replicas of the release probe sharing one real Redis
//! (`testbed::RedisServer`: Debian's `redis-server` on a loopback port, stopped by PID).
//!
//! For 1 and then 3 replicas (Redis flushed between the two):
//! - one scan of `bench.test` through replica 0, then one request on each other replica
//!   (a hit from Redis), with the Redis commands each cost counted from `INFO commandstats`;
//! - cached verdicts per second: one `wrk` per replica at once, on that cached report, the
//!   64 connections split between them, and the Redis commands per request over the run;
//! - `MEMORY USAGE` of the cached report's key.
//!
//! Redis is spoken to here in RESP over a plain socket: this only needs `INFO`, `FLUSHALL`,
//! `KEYS` and `MEMORY USAGE`, not a client crate in xtask.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::thread;
use std::time::Duration;

use crate::bench_load::{Running, Wrk};

/// What one replica count measured.
#[derive(Debug)]
pub(crate) struct Point {
    pub replicas: usize,
    /// Cached verdicts per second, all replicas together.
    pub per_second: f64,
    pub errors: u64,
    /// Redis commands per cached request during the `wrk` run.
    pub commands_per_request: f64,
    /// Redis commands of the first scan (through replica 0), by name.
    pub scan_commands: BTreeMap<String, u64>,
    /// Redis commands of the first request on another replica (a hit from Redis).
    pub remote_hit_commands: Option<u64>,
    /// Commands during the `wrk` run, by name.
    pub during_load: BTreeMap<String, u64>,
}

/// The whole run.
#[derive(Debug)]
pub(crate) struct RedisBench {
    pub points: Vec<Point>,
    /// `MEMORY USAGE` of the cached full report's key, and the value's length.
    pub report_key_bytes: u64,
    pub report_value_bytes: u64,
}

/// Runs the measurement (see the module docs). `probe_args` are the bench's probe arguments
/// (listen on any port, JSON logs, no rate limits, `--connect-to` rules to the target).
pub(crate) fn run(
    release: &Path,
    probe_args: &[String],
    seconds: u64,
) -> Result<RedisBench, String> {
    let redis = testbed::RedisServer::start()
        .map_err(|e| format!("redis-server does not start (apt-get install redis-server): {e}"))?;
    let redis_address = SocketAddr::from(([127, 0, 0, 1], redis.port()));
    let mut points = Vec::new();
    let mut report_key_bytes = 0;
    let mut report_value_bytes = 0;
    for replicas in [1, 3] {
        command(redis_address, &["FLUSHALL"])?;
        let mut args = probe_args.to_vec();
        args.push(format!("--redis={}", redis.url()));
        let mut running: Vec<(Running, SocketAddr)> = Vec::new();
        for _ in 0..replicas {
            let (probe, address, _pid) = crate::bench_load::start_probe(release, &args)?;
            running.push((probe, address));
        }
        let path = "/api/v1/probe?host=bench.test";

        let before = commandstats(redis_address)?;
        let (status, _) = crate::bench_load::get(running[0].1, path, Duration::from_secs(60))?;
        if status != 200 {
            return Err(format!("the first scan through replica 0: HTTP {status}"));
        }
        let scan_commands = delta(&before, &commandstats(redis_address)?);

        let mut remote_hit_commands = None;
        for (_, address) in running.iter().skip(1) {
            let before = commandstats(redis_address)?;
            let (status, _) = crate::bench_load::get(*address, path, Duration::from_secs(60))?;
            if status != 200 {
                return Err(format!("a hit on another replica: HTTP {status}"));
            }
            remote_hit_commands
                .get_or_insert(total(&delta(&before, &commandstats(redis_address)?)));
        }

        // wrk, one per replica at once; 64 connections and 2 threads (the CPUs here) in all.
        let connections = (64 / replicas).max(1);
        let threads = (2 / replicas).max(1);
        let before = commandstats(redis_address)?;
        let runs: Vec<Result<Wrk, String>> = thread::scope(|scope| {
            let handles: Vec<_> = running
                .iter()
                .map(|(_, address)| {
                    let url = format!("http://{address}{path}");
                    scope.spawn(move || {
                        crate::bench_load::wrk_with(&url, seconds, threads, connections)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err("wrk thread panicked".into()))
                })
                .collect()
        });
        let during_load = delta(&before, &commandstats(redis_address)?);
        let mut per_second = 0.0;
        let mut errors = 0;
        let mut requests = 0;
        for run in runs {
            let run = run?;
            per_second += run.requests_per_second;
            errors += run.errors;
            requests += run.requests;
        }
        let commands_per_request = total(&during_load) as f64 / requests.max(1) as f64;

        if let Some(key) = report_keys(redis_address)?
            .into_iter()
            .find(|k| k.contains(":full:"))
        {
            report_key_bytes = integer(&command(redis_address, &["MEMORY", "USAGE", &key])?);
            report_value_bytes = integer(&command(redis_address, &["STRLEN", &key])?);
        }
        points.push(Point {
            replicas,
            per_second,
            errors,
            commands_per_request,
            scan_commands,
            remote_hit_commands,
            during_load,
        });
        drop(running);
    }
    Ok(RedisBench {
        points,
        report_key_bytes,
        report_value_bytes,
    })
}

/// Prints the rows of the Redis run.
pub(crate) fn print(bench: &RedisBench, seconds: u64) {
    println!();
    println!(
        "replicas sharing one redis-server (--redis, release build, loopback, wrk {seconds} s)"
    );
    println!(
        "| replicas | cached verdicts/s | Redis commands per cached request | first scan | first request on another replica |"
    );
    println!("| --- | --- | --- | --- | --- |");
    for point in &bench.points {
        let by_name = |calls: &BTreeMap<String, u64>| {
            let named: Vec<String> = calls
                .iter()
                .map(|(name, calls)| format!("{name} {calls}"))
                .collect();
            if named.is_empty() {
                "none".to_owned()
            } else {
                named.join(", ")
            }
        };
        println!(
            "| {} | {:.0} ({} errors) | {:.4} ({}) | {} commands ({}) | {} |",
            point.replicas,
            point.per_second,
            point.errors,
            point.commands_per_request,
            by_name(&point.during_load),
            total(&point.scan_commands),
            by_name(&point.scan_commands),
            point
                .remote_hit_commands
                .map_or("-".to_owned(), |c| format!("{c} commands")),
        );
    }
    println!(
        "| cached full report of bench.test in Redis | MEMORY USAGE {} B (value {} B) | | | |",
        bench.report_key_bytes, bench.report_value_bytes
    );
}

/// The bench's own commands, not the probes'.
const OURS: &[&str] = &[
    "info",
    "flushall",
    "keys",
    "memory|usage",
    "memory",
    "strlen",
];

/// `INFO commandstats`: calls by command name.
fn commandstats(address: SocketAddr) -> Result<BTreeMap<String, u64>, String> {
    let Reply::Bulk(text) = command(address, &["INFO", "commandstats"])? else {
        return Err("INFO commandstats: not a bulk string".into());
    };
    Ok(parse_commandstats(&text))
}

fn parse_commandstats(text: &str) -> BTreeMap<String, u64> {
    text.lines()
        .filter_map(|line| {
            let (name, stats) = line.strip_prefix("cmdstat_")?.split_once(':')?;
            let calls = stats
                .split(',')
                .find_map(|s| s.strip_prefix("calls="))?
                .parse()
                .ok()?;
            (!OURS.contains(&name)).then(|| (name.to_owned(), calls))
        })
        .collect()
}

fn delta(before: &BTreeMap<String, u64>, after: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    after
        .iter()
        .map(|(name, calls)| {
            let was = before.get(name).copied().unwrap_or(0);
            (name.clone(), calls.saturating_sub(was))
        })
        .filter(|(_, calls)| *calls > 0)
        .collect()
}

fn total(calls: &BTreeMap<String, u64>) -> u64 {
    calls.values().sum()
}

fn report_keys(address: SocketAddr) -> Result<Vec<String>, String> {
    match command(address, &["KEYS", "probe:v1:report:*"])? {
        Reply::Array(keys) => Ok(keys
            .into_iter()
            .filter_map(|k| match k {
                Reply::Bulk(k) => Some(k),
                _ => None,
            })
            .collect()),
        other => Err(format!("KEYS: {other:?}")),
    }
}

fn integer(reply: &Reply) -> u64 {
    match reply {
        Reply::Integer(n) => u64::try_from(*n).unwrap_or(0),
        _ => 0,
    }
}

/// A RESP reply (the kinds the commands above answer with).
#[derive(Debug, PartialEq)]
enum Reply {
    Simple(String),
    Integer(i64),
    Bulk(String),
    Nil,
    Array(Vec<Self>),
}

/// One command on a fresh connection (bounded by a 5 s timeout).
fn command(address: SocketAddr, args: &[&str]) -> Result<Reply, String> {
    let mut stream =
        TcpStream::connect_timeout(&address, Duration::from_secs(5)).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| e.to_string())?;
    let mut out = format!("*{}\r\n", args.len());
    for arg in args {
        out.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
    }
    stream
        .write_all(out.as_bytes())
        .map_err(|e| e.to_string())?;
    read_reply(&mut BufReader::new(stream.take(64 * 1024 * 1024)), 0)
}

fn read_reply(reader: &mut impl BufRead, depth: usize) -> Result<Reply, String> {
    if depth > 4 {
        return Err("RESP nested too deep".into());
    }
    let mut line = String::new();
    reader.read_line(&mut line).map_err(|e| e.to_string())?;
    let line = line.trim_end_matches("\r\n");
    let (kind, rest) = line.split_at_checked(1).ok_or("empty RESP reply")?;
    let number = || rest.parse::<i64>().map_err(|_| format!("RESP: {line}"));
    match kind {
        "+" => Ok(Reply::Simple(rest.to_owned())),
        "-" => Err(format!("Redis: {rest}")),
        ":" => Ok(Reply::Integer(number()?)),
        "$" => {
            let Ok(length) = usize::try_from(number()?) else {
                return Ok(Reply::Nil);
            };
            let mut body = vec![0; length + 2];
            reader.read_exact(&mut body).map_err(|e| e.to_string())?;
            body.truncate(length);
            Ok(Reply::Bulk(String::from_utf8_lossy(&body).into_owned()))
        }
        "*" => {
            let Ok(count) = usize::try_from(number()?) else {
                return Ok(Reply::Nil);
            };
            (0..count.min(100_000))
                .map(|_| read_reply(reader, depth + 1))
                .collect::<Result<_, _>>()
                .map(Reply::Array)
        }
        _ => Err(format!("RESP: {line}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_commandstats_without_the_benchs_own_commands() {
        let text = "# Commandstats\r\ncmdstat_get:calls=12,usec=30,usec_per_call=2.5\r\n\
                    cmdstat_evalsha:calls=3,usec=9\r\ncmdstat_info:calls=7,usec=1\r\n";
        let stats = parse_commandstats(text);
        assert_eq!(stats.get("get"), Some(&12));
        assert_eq!(stats.get("evalsha"), Some(&3));
        assert_eq!(stats.get("info"), None);
        let later = parse_commandstats("cmdstat_get:calls=15,usec=1\r\ncmdstat_set:calls=1,usec=1");
        let changed = delta(&stats, &later);
        assert_eq!(total(&changed), 4);
        assert_eq!(
            changed.get("evalsha"),
            None,
            "unchanged counts are left out"
        );
    }

    #[test]
    fn reads_resp_replies() {
        let mut input: &[u8] = b"*3\r\n$3\r\nabc\r\n:42\r\n$-1\r\n";
        assert_eq!(
            read_reply(&mut input, 0).unwrap(),
            Reply::Array(vec![
                Reply::Bulk("abc".into()),
                Reply::Integer(42),
                Reply::Nil
            ])
        );
        let mut input: &[u8] = b"+OK\r\n";
        assert_eq!(
            read_reply(&mut input, 0).unwrap(),
            Reply::Simple("OK".into())
        );
        let mut input: &[u8] = b"-ERR no\r\n";
        assert!(read_reply(&mut input, 0).is_err());
    }
}
