//! The survey's use of the raw engine's TLS 1.2 client (`wire::tls12`): one completed
//! handshake through the prober (its slot held, its connection counted, its reads bounded
//! by the time left).

use tokio::net::TcpStream;

use super::prober::Prober;
use crate::wire::tls12::{ClientConfig, Connection, Handshake};

/// What the probes offer: every suite the client completes, SNI as the scan sends it.
pub(crate) fn config(prober: &Prober) -> ClientConfig {
    ClientConfig::new(prober.server_name().map(str::to_owned))
}

/// Opens a connection and completes a handshake; the caller holds a slot.
pub(crate) async fn connect(
    prober: &Prober,
    config: &ClientConfig,
) -> Result<(Connection<TcpStream>, Handshake), String> {
    let (stream, deadline) = prober
        .connect()
        .await
        .map_err(|e| format!("no connection: {e}"))?;
    Connection::connect(stream, config, deadline)
        .await
        .map_err(|e| format!("the TLS 1.2 handshake did not complete: {e}"))
}

/// One completed handshake on a connection of its own, closed at once.
pub(crate) async fn handshake(prober: &Prober, config: &ClientConfig) -> Result<Handshake, String> {
    let _slot = prober.slot().await;
    let (connection, handshake) = connect(prober, config).await?;
    connection.close().await;
    Ok(handshake)
}
