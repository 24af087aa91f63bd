// SPDX-License-Identifier: BSD-3-Clause
// Copyright(c) 2026 The Pollux authors

//! A Tokio `current_thread` TCP echo server, written the way the Tokio
//! tutorial writes one (a task per connection, `read` then `write_all`,
//! TCP_NODELAY): the Tokio side of `bench/compare tcp`.
//!
//! usage: px-tokio-echo PORT

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(7);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .expect("tokio runtime");
    rt.block_on(async move {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind");
        println!("px-tokio-echo: ready");
        use std::io::Write;
        std::io::stdout().flush().ok();
        loop {
            let (mut sock, _) = match listener.accept().await {
                Ok(c) => c,
                Err(_) => continue,
            };
            sock.set_nodelay(true).ok();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                loop {
                    let n = match sock.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => n,
                    };
                    if sock.write_all(&buf[..n]).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
}
