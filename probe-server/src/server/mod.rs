//! The HTTP API, after the zero2prod layout: [`Application::build`] binds (port 0 works, for
//! tests) and [`routes::configure`] registers every route, so tests run the real thing.

mod api_error;
mod routes;

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::{App, HttpServer, web};

pub use api_error::ApiFailure;
pub use routes::configure;

use crate::scan::Scanner;

/// How the server is set up.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub listen: SocketAddr,
    pub scanner: Scanner,
}

/// State shared by every request.
#[derive(Debug)]
pub struct AppState {
    pub scanner: Scanner,
}

/// A bound, not yet running server.
pub struct Application {
    address: SocketAddr,
    server: Server,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl Application {
    /// Binds `config.listen` and builds the server.
    pub fn build(config: ServeConfig) -> std::io::Result<Self> {
        let listener = TcpListener::bind(config.listen)?;
        let address = listener.local_addr()?;
        let state = web::Data::new(AppState {
            scanner: config.scanner,
        });
        let server =
            HttpServer::new(move || App::new().app_data(state.clone()).configure(configure))
                .listen(listener)?
                .run();
        Ok(Self { address, server })
    }

    /// The address actually bound (useful with port 0).
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Serves until the process is told to stop.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

impl AppState {
    /// Shared handle, for tests that build the app themselves.
    pub fn shared(scanner: Scanner) -> web::Data<Self> {
        web::Data::from(Arc::new(Self { scanner }))
    }
}
