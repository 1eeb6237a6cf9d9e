//! The embedded proxy as a stand-alone program, with configurable-http-proxy's flags (the
//! subset the embedded proxy has): for benchmarks side by side with CHP, and for trying it.
//!
//! ```text
//! CONFIGPROXY_AUTH_TOKEN=secret cargo run --release -p proxy --example chp -- \
//!     --ip 127.0.0.1 --port 8000 --api-ip 127.0.0.1 --api-port 8001 \
//!     [--default-target http://127.0.0.1:8081] [--error-target http://127.0.0.1:8081/hub/error] \
//!     [--threads N]
//! ```

use std::net::{IpAddr, SocketAddr};

use proxy::{EmbeddedProxy, ProxyConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut ip: IpAddr = [127, 0, 0, 1].into();
    let mut api_ip: IpAddr = [127, 0, 0, 1].into();
    let (mut port, mut api_port) = (8000_u16, None);
    let mut threads = 0_usize;
    let mut config = ProxyConfig::loopback();
    config.auth_token = std::env::var("CONFIGPROXY_AUTH_TOKEN").ok();
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("`{flag}` needs a value"));
        match flag.as_str() {
            "--ip" => ip = value()?.parse()?,
            "--port" => port = value()?.parse()?,
            "--api-ip" => api_ip = value()?.parse()?,
            "--api-port" => api_port = Some(value()?.parse()?),
            "--default-target" => config.default_target = Some(value()?),
            "--error-target" => config.error_target = Some(value()?),
            "--threads" => threads = value()?.parse()?,
            "--host-routing" => config.host_routing = true,
            "--no-x-forward" => config.x_forward = false,
            "--no-prepend-path" => config.prepend_path = false,
            "--no-include-prefix" => config.include_prefix = false,
            other => return Err(format!("unknown flag `{other}`").into()),
        }
    }
    config.public_addr = SocketAddr::new(ip, port);
    config.api_addr = SocketAddr::new(api_ip, api_port.unwrap_or(port.saturating_add(1)));
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if threads > 0 {
        runtime.worker_threads(threads);
    }
    runtime.enable_all().build()?.block_on(async {
        let proxy = EmbeddedProxy::start(config).await?;
        eprintln!(
            "proxying http://{} (api http://{}/api/routes)",
            proxy.public_addr(),
            proxy.api_addr()
        );
        tokio::signal::ctrl_c().await?;
        proxy.stop(std::time::Duration::from_secs(5)).await;
        Ok(())
    })
}
