//! Loopback ports for tests that start real servers (configurable-http-proxy, the hub,
//! jupyterhub-singleuser) as child processes listening on a port named on their command
//! line.
//!
//! The usual trick, binding port 0 and closing the socket, races: between the close and the
//! child's own bind, the kernel may hand the same port to any other socket of the test run
//! (an in-process server binding port 0, or even the local end of an outgoing connection),
//! since all of those come from the ephemeral range. The child then fails to bind and exits,
//! and the test talks to a stranger or to nobody ("connection refused"; seen in CI).
//!
//! So the ports handed out here come from *below* the ephemeral range, which the kernel never
//! assigns by itself, and each port is handed out once per process. A port is also checked
//! to be bindable right now, which skips what other programs listen on. Processes running
//! side by side start at different places in the range (by process id).

use std::net::{Ipv4Addr, TcpListener};
use std::sync::atomic::{AtomicU32, Ordering};

/// Where ports are taken from when the ephemeral range cannot be read.
const FALLBACK_RANGE: (u16, u16) = (20_000, 32_768);

/// The lowest port handed out: below it live well-known and registered services.
const LOWEST: u16 = 10_000;

/// How many ports have been handed out by this process, the next one's offset.
static HANDED_OUT: AtomicU32 = AtomicU32::new(0);

/// A loopback port nothing listens on, that no other caller in this process has been given,
/// and that the kernel will not pick for a socket bound to port 0.
///
/// # Panics
/// When no port of the range can be bound (a test-setup failure, reported as such).
#[allow(
    clippy::panic,
    reason = "test support: no free port means the test cannot run"
)]
pub fn free_port() -> u16 {
    let (low, high) = outside_ephemeral_range();
    let span = u32::from(high - low);
    let start = std::process::id().wrapping_mul(7_919) % span;
    for _ in 0..span {
        let offset = (start + HANDED_OUT.fetch_add(1, Ordering::Relaxed)) % span;
        let Ok(port) = u16::try_from(u32::from(low) + offset) else {
            continue;
        };
        if TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok() {
            return port;
        }
    }
    panic!("no loopback port in {low}..{high} can be bound");
}

/// A port range `[low, high)` that the kernel's ephemeral range does not overlap.
fn outside_ephemeral_range() -> (u16, u16) {
    let Some((ephemeral_low, ephemeral_high)) = ephemeral_range() else {
        return FALLBACK_RANGE;
    };
    if ephemeral_low >= LOWEST + 1_000 {
        (LOWEST, ephemeral_low)
    } else if ephemeral_high <= u16::MAX - 1_000 {
        (ephemeral_high + 1, u16::MAX)
    } else {
        FALLBACK_RANGE
    }
}

/// Linux's `ip_local_port_range` (inclusive), when it can be read.
fn ephemeral_range() -> Option<(u16, u16)> {
    let text = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").ok()?;
    let mut bounds = text.split_whitespace().map(str::parse::<u16>);
    let low = bounds.next()?.ok()?;
    let high = bounds.next()?.ok()?;
    (low <= high).then_some((low, high))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_distinct_bindable_and_outside_the_ephemeral_range() {
        let ports: Vec<u16> = (0..200).map(|_| free_port()).collect();
        let mut distinct = ports.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), ports.len());
        if let Some((low, high)) = ephemeral_range() {
            assert!(ports.iter().all(|port| !(low..=high).contains(port)));
        }
        for port in ports {
            assert!(TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok());
        }
    }

    #[test]
    fn the_range_avoids_the_ephemeral_one() {
        let (low, high) = outside_ephemeral_range();
        assert!(low >= LOWEST && low < high);
        if let Some((ephemeral_low, ephemeral_high)) = ephemeral_range() {
            assert!(high <= ephemeral_low || low > ephemeral_high);
        }
    }
}
