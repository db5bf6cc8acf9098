//! `vistazo serve [--addr 127.0.0.1:8000]`: the HTTP API from the terminal. Glue only: the
//! server is [`crate::serve`].

use std::io::Write;
use std::net::SocketAddr;

use super::GlobalOptions;
use crate::clip::EngineOptions;
use crate::i18n::{fill, gettext};
use crate::serve::{self, ServeOptions};

pub fn run(global: &GlobalOptions, addr: SocketAddr, max_upload_mb: u32) -> anyhow::Result<()> {
    // A mistyped --db is refused here, before the model loads.
    drop(global.open_collection()?);
    let options = ServeOptions {
        addr,
        max_upload: max_upload_mb as usize * 1024 * 1024,
        model: global.locate_model()?,
        engine: EngineOptions {
            device: global.device,
            ..EngineOptions::default()
        },
        database: global.database_path()?,
        uploads: serve::UploadLimits::default(),
    };
    serve::serve(&options, |bound| {
        if !bound.ip().is_loopback() {
            eprintln!(
                "{}",
                fill(
                    &gettext(
                        "warning: {ip} is reachable from other computers; anyone who can reach it can send photos"
                    ),
                    &[("ip", &bound.ip())]
                )
            );
        }
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "{}",
            fill(
                &gettext("Listening on http://{bound} (GET /health, POST /score); Ctrl+C stops."),
                &[("bound", &bound)]
            )
        );
        let _ = out.flush();
    })?;
    Ok(())
}
