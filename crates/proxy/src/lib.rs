#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod api;
mod body;
mod config;
mod error;
mod error_page;
mod handler;
mod headers;
mod json;
mod path;
mod route;
mod server;
mod shared;
mod table;
mod time;
mod trie;
mod websocket;

pub use config::ProxyConfig;
pub use error::ProxyError;
pub use route::{LAST_ACTIVITY, Route, Target};
pub use server::EmbeddedProxy;
pub use table::RouteTable;
